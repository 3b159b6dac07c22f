/*
 * Evidence upload with a progress bar and resume (zhifa records, issue 3 part 4). No framework.
 *
 * Without JavaScript the form posts the file in one request. With it, the file goes through a resumable upload
 * session: create (metadata only), then PUT chunks with their start in the Upload-Offset header, then finish.
 * The server answers a wrong offset with 409 and the offset it has, so after a network error or a page reload
 * (the session id is remembered per file in localStorage) the upload continues where the server's copy ends.
 */
(function () {
  "use strict";

  var CHUNK = 8 * 1024 * 1024; // bytes per PUT: small enough to retry cheaply, large enough to be fast
  var MAX_RETRIES = 8;

  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.FormData || !window.XMLHttpRequest || !window.Blob) {
    return; // the plain single-request form keeps working
  }
  var fileInput = document.getElementById("id_file");
  var bar = document.getElementById("upload-bar");
  var statusBox = document.getElementById("upload-status");
  var progressBox = document.getElementById("upload-progress");
  var submitButton = document.getElementById("upload-submit");
  var cancelButton = document.getElementById("upload-cancel");
  var limit = parseInt(form.getAttribute("data-limit"), 10) || 0;
  var sessionUrl = form.getAttribute("data-session-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var currentXhr = null;
  var cancelled = false;
  var active = null; // the session being uploaded

  function mb(n) {
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function showStatus(text, isError) {
    progressBox.hidden = false;
    statusBox.textContent = text;
    statusBox.className = isError ? "small text-danger" : "small text-muted";
  }

  function showProgress(done, total) {
    var pct = total ? Math.floor((done / total) * 100) : 0;
    bar.value = pct;
    showStatus("已上传 " + mb(done) + " / " + mb(total) + "（" + pct + "%）", false);
  }

  function storageKey(file) {
    var stream = (form.elements.stream.value || "").trim();
    return "zhifa-upload:" + stream + ":" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function remember(key, value) {
    try {
      if (value) { window.localStorage.setItem(key, JSON.stringify(value)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* private mode: resume after reload is simply unavailable */ }
  }

  function recall(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function sleep(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  function jsonRequest(method, url, body) {
    return fetch(url, {
      method: method, body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // One chunk through XMLHttpRequest, because fetch reports no upload progress.
  function putChunk(session, offset, blob, total) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      currentXhr = xhr;
      xhr.open("PUT", session.chunk_url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Upload-Offset", String(offset));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) { showProgress(offset + event.loaded, total); }
      };
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.onabort = function () { reject(new Error("aborted")); };
      xhr.send(blob);
    });
  }

  function fail(message, key) {
    if (key) { remember(key, null); }
    showStatus(message || "上传失败。", true);
    submitButton.disabled = false;
    cancelButton.hidden = true;
    active = null;
  }

  function openSession(file, key) {
    var saved = recall(key);
    var resume = saved ? jsonRequest("GET", saved.chunk_url) : Promise.resolve(null);
    return resume.then(function (result) {
      if (result && result.status === 200 && result.data.state === "open") {
        showStatus("发现未完成的上传，从 " + mb(result.data.offset) + " 处继续……", false);
        return result.data;
      }
      var data = new FormData(form);
      data.delete("file");
      data.append("filename", file.name);
      data.append("size", String(file.size));
      data.append("content_type", file.type || "");
      return jsonRequest("POST", sessionUrl, data).then(function (created) {
        if (created.status !== 201) { throw new Error(created.data.message || "无法创建上传。"); }
        remember(key, { chunk_url: created.data.chunk_url, finish_url: created.data.finish_url });
        return created.data;
      });
    });
  }

  async function upload(file) {
    var key = storageKey(file);
    cancelled = false;
    submitButton.disabled = true;
    cancelButton.hidden = false;
    bar.value = 0;
    var session;
    try {
      session = await openSession(file, key);
    } catch (e) {
      return fail(e.message, null);
    }
    active = session;
    var offset = session.offset;
    var retries = 0;
    showProgress(offset, file.size);
    while (offset < file.size) {
      if (cancelled) { return; }
      var end = Math.min(offset + CHUNK, file.size);
      var result;
      try {
        result = await putChunk(session, offset, file.slice(offset, end), file.size);
      } catch (e) {
        if (cancelled) { return; }
        if (++retries > MAX_RETRIES) { return fail("网络中断，请稍后重新选择同一文件继续上传。", null); }
        showStatus("网络中断，" + Math.min(30, 2 * retries) + " 秒后重试……", true);
        await sleep(Math.min(30000, 2000 * retries));
        try {
          var probe = await jsonRequest("GET", session.chunk_url);
          if (probe.status === 200) { offset = probe.data.offset; }
        } catch (e2) { /* still offline: the next PUT will tell */ }
        continue;
      }
      if (result.status === 200) {
        offset = result.data.offset;
        retries = 0;
      } else if (result.status === 409 && typeof result.data.offset === "number") {
        offset = result.data.offset; // the server says where its copy ends: resume there
      } else {
        return fail(result.data.message, key);
      }
      showProgress(offset, file.size);
    }
    showStatus("正在核对哈希并入库……", false);
    var finished = await jsonRequest("POST", session.finish_url).catch(function () { return null; });
    if (!finished || finished.status !== 201) {
      return fail(finished && finished.data.message ? finished.data.message : "入库失败，请重试。", finished ? key : null);
    }
    remember(key, null);
    bar.value = 100;
    showStatus("上传完成，正在打开证据页面……", false);
    window.location.assign(finished.data.evidence_url);
  }

  form.addEventListener("submit", function (event) {
    var file = fileInput.files && fileInput.files[0];
    if (!file) { return; } // let the browser's required-field message show
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    if (limit && file.size > limit) {
      showStatus("文件超过允许的大小上限（" + mb(limit) + "）。", true);
      return;
    }
    if (file.size === 0) {
      showStatus("文件为空。", true);
      return;
    }
    upload(file);
  });

  cancelButton.addEventListener("click", function () {
    cancelled = true;
    if (currentXhr) { currentXhr.abort(); }
    if (active) { jsonRequest("DELETE", active.chunk_url).catch(function () { return null; }); }
    if (fileInput.files && fileInput.files[0]) { remember(storageKey(fileInput.files[0]), null); }
    fail("已取消上传。", null);
  });
}());
