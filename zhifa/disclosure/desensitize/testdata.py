"""A seeded generator of synthetic 行政处罚决定书 with annotated spans (issue 12 part 3; the benchmark's golden set
and the property tests). Pure Python. Every person, number and address is invented; ID numbers, USCCs and bank
cards carry valid check characters.

Annotated categories: the sensitive ones of the desensitizer (person_name, id_number, phone, address, bank_card,
plate) and the ones that must stay public (organization, uscc, officer, law_title, agency).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from .checks import USCC_ALPHABET, luhn_check_digit, resident_id_check_char, uscc_check_char
from .names import COMPOUND, SINGLE

SENSITIVE = ("person_name", "id_number", "phone", "address", "bank_card", "plate")
PUBLIC = ("organization", "uscc", "officer", "law_title", "agency")

#: Characters of given names (one-character names and free two-character combinations).
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华玉萍红国文辉力鹏飞宇浩然涵欣怡俊东燕梅斌波鑫琳颖琴婷倩宁健凯"
#: Common two-character given names.
GIVEN2 = ("建国", "秀英", "志强", "晓东", "海燕", "春梅", "子涵", "欣怡", "俊杰", "雨婷", "梓轩", "一鸣", "博文", "嘉怡",
          "梦琪", "振华", "丽娟", "国庆", "建华", "永刚", "淑珍", "金凤", "德胜", "宏伟", "思远", "佳琪", "晨阳", "文辉",
          "鹏飞", "浩然", "小红", "小明", "雪梅", "冬梅", "秋菊", "春生", "桂兰", "玉兰", "凤英", "秀兰", "志刚", "建军",
          "红梅", "丽华", "海涛", "晓燕", "文静", "光明", "新民", "卫东", "德华", "家豪", "子墨", "雨萱", "诗涵", "明轩",
          "天佑", "立新", "学军", "长江", "玉梅", "桂芳", "建平", "国强", "永红", "金花", "静怡", "婷婷", "伟东", "红霞")
REGIONS = ("110105", "120101", "130102", "140105", "210102", "220102", "310104", "320106", "330106", "340104",
           "350102", "360102", "370102", "410105", "420102", "430104", "440305", "450103", "500103", "510104",
           "510722", "511102", "520102", "530102", "610113", "620102", "640104", "650102")
PROVINCES = ("四川省", "浙江省", "江苏省", "湖北省", "河南省", "山东省", "广东省", "湖南省", "陕西省", "云南省")
CITIES = ("绵阳市", "宜宾市", "湖州市", "扬州市", "襄阳市", "洛阳市", "临沂市", "韶关市", "岳阳市", "宝鸡市", "曲靖市")
COUNTIES = ("江油市", "三台县", "安吉县", "宝应县", "枣阳市", "宜阳县", "沂水县", "乳源县", "平江县", "凤翔区",
            "陆良县", "梓潼县", "长兴县", "高邮市", "谷城县")
TOWNS = ("城关镇", "太平镇", "新华镇", "龙泉镇", "白鹤镇", "青山乡", "石桥镇", "花园街道", "东城街道", "永兴镇")
VILLAGES = ("红旗村", "胜利村", "五里村", "梨园村", "双河村", "新民村", "黄土村", "柏林村", "松林村", "清溪村")
ROADS = ("人民路", "解放路", "建设路", "中山路", "滨江路", "文化路", "新华街", "朝阳路", "学府路", "长江路")
BRANDS = ("宏达", "鑫源", "恒通", "瑞丰", "盛世", "金鼎", "华兴", "永利", "天宇", "顺发", "嘉禾", "绿源", "益民", "众诚")
TRADES = ("建材", "砂石", "餐饮", "农资", "养殖", "商贸", "物流", "化工", "食品", "机械", "环保科技", "水产", "药业")
ORG_SUFFIX = ("有限公司", "有限责任公司", "股份有限公司", "专业合作社", "加工厂")
SHOPS = ("小吃店", "便利店", "农资经营部", "五金店", "汽车修理厂", "烟酒商行", "水果店")
PLATE_PROV = "川浙苏鄂豫鲁粤湘陕云京沪渝"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MOBILE_PREFIX = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
                 "158", "159", "166", "177", "180", "181", "186", "187", "188", "189", "191", "199")
AREA_CODES = ("028", "0816", "0831", "0572", "0514", "0710", "0379", "0539", "0751", "0730", "0917", "0874", "010")
LAW_FIRMS = ("四川蜀鼎律师事务所", "浙江天册律师事务所", "湖北山河律师事务所", "江苏苏源律师事务所")
ETHNIC = ("汉", "汉", "汉", "汉", "回", "彝", "藏", "苗", "土家", "满")

SECTORS: dict[str, dict[str, Any]] = {
    "water": {
        "agency": "水利局", "code": "水", "laws": ("中华人民共和国水法", "取水许可和水资源费征收管理条例",
                                                "中华人民共和国河道管理条例", "中华人民共和国防洪法"),
        "facts": (
            "{p}在{place}河道管理范围内擅自取水，取水量约{n}立方米",
            "{p}未经批准在{place}河段非法采砂，{w}驾驶{plate}号货车负责运输",
            "{p}雇请{w}在{place}河堤上修建构筑物，影响行洪安全",
        ),
    },
    "urban": {
        "agency": "综合行政执法局", "code": "综执", "laws": ("城市市容和环境卫生管理条例", "城市建筑垃圾管理规定",
                                                      "中华人民共和国城乡规划法"),
        "facts": (
            "{p}驾驶{plate}号渣土车在{place}沿途抛撒建筑垃圾，{w}系该车押运人员",
            "{p}在{place}未经批准擅自搭建彩钢棚约{n}平方米，{w}向本局举报",
            "{p}在{place}占道经营，并张贴印有联系电话{phone}的小广告",
        ),
    },
    "agriculture": {
        "agency": "农业农村局", "code": "农", "laws": ("中华人民共和国农药管理条例", "中华人民共和国种子法",
                                                "兽药管理条例", "中华人民共和国渔业法"),
        "facts": (
            "{p}在{place}销售未取得农药登记证的农药{n}瓶，购买人{w}证实了上述情况",
            "{p}与{w}合伙在{place}使用电鱼工具捕捞，查获渔获物{n}公斤",
            "{p}经营的种子未按规定标注，经{w}介绍销售给农户{n}户",
        ),
    },
    "environment": {
        "agency": "生态环境局", "code": "环", "laws": ("中华人民共和国大气污染防治法", "中华人民共和国水污染防治法",
                                                "中华人民共和国固体废物污染环境防治法"),
        "facts": (
            "{p}在{place}露天焚烧废旧轮胎约{n}条，产生大量浓烟，{w}当场拍摄了视频",
            "{p}将含油废水经暗管排入{place}附近沟渠，由{w}负责夜间排放",
            "{p}委托无资质的{w}驾驶{plate}号车辆转运危险废物{n}吨",
        ),
    },
    "market": {
        "agency": "市场监督管理局", "code": "市监", "laws": ("中华人民共和国食品安全法", "中华人民共和国产品质量法",
                                                   "中华人民共和国广告法", "中华人民共和国价格法"),
        "facts": (
            "{p}在{place}销售超过保质期的食品{n}件，店员{w}称系进货时未查验",
            "{p}发布虚假广告宣称产品可治疗疾病，广告由{w}设计，咨询电话为{phone}",
            "{p}通过其名下银行卡{card}收取货款共计{n}元，{w}协助收款",
        ),
    },
    "transport": {
        "agency": "交通运输局", "code": "交", "laws": ("中华人民共和国道路运输条例", "超限运输车辆行驶公路管理规定"),
        "facts": (
            "{p}驾驶{plate}号客车未取得道路运输经营许可从事客运经营，乘客{w}支付车费{n}元",
            "{p}指使驾驶员{w}驾驶{plate}号货车超限运输，超限{n}吨",
        ),
    },
}


#: Held-out phrasing (written after the rules were tuned, never used to tune them): the benchmark's second set.
HELDOUT_FACTS = (
    "{p}伙同其表弟{w}在{place}私设加工点，日均加工{n}公斤",
    "执法人员到达现场时，{w}正在操作设备，经询问其受{p}指派",
    "{p}的妻子{w}承认店内商品系从外地购入，共{n}件",
    "{p}自{n}年起租用{w}的厂房从事生产，未办理任何手续",
    "车辆{plate}登记在{w}名下，实际由{p}使用",
    "{w}称其于{n}日前将该批货物交由{p}保管",
    "{p}在微信群内发布销售信息，留有手机号{phone}，买家{w}据此联系购买",
    "货款经{w}代收后转至{p}尾号为{card}的账户",
)
HELDOUT_WITNESS = (
    "在场群众{w}、{x}均表示看到了上述过程。",
    "{x}（住{addr}）于次日到本机关接受询问，对上述事实无异议。",
    "本机关向{x}送达了询问通知书，其联系电话为{ph}。",
    "据调查，{x}与{short}系朋友关系，{w}系其邻居。",
    "{w}、{x}二人当场签字确认。",
)


@dataclass
class GoldSpan:
    start: int
    end: int
    category: str
    text: str


@dataclass
class GoldDoc:
    id: str
    sector: str
    text: str
    spans: list[GoldSpan] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "sector": self.sector, "text": self.text,
                "spans": [asdict(s) for s in self.spans]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GoldDoc:
        return cls(data["id"], data["sector"], data["text"], [GoldSpan(**s) for s in data["spans"]])


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[GoldSpan] = []
        self.length = 0

    def add(self, text: str, category: str | None = None) -> None:
        if category:
            self.spans.append(GoldSpan(self.length, self.length + len(text), category, text))
        self.parts.append(text)
        self.length += len(text)

    def fill(self, template: str, values: dict[str, tuple[str, str | None]]) -> None:
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            key, _, rest = after.partition("}")
            self.add(before)
            self.add(*values[key])
        self.add(rest)


class Faker:
    """Random persons, numbers, places and organizations, from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        r = self.rng
        if r.random() < 0.04:
            surname = r.choice(COMPOUND[:8])
        else:
            surname = SINGLE[min(int(r.expovariate(1 / 40)), len(SINGLE) - 1)]
        roll = r.random()
        if roll < 0.25:
            given = r.choice(GIVEN)
        elif roll < 0.75:
            given = r.choice(GIVEN2)
        else:
            given = r.choice(GIVEN) + r.choice(GIVEN)
        return surname + given

    def resident_id(self) -> str:
        r = self.rng
        body = f"{r.choice(REGIONS)}{r.randint(1950, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
        return body + resident_id_check_char(body)

    def mobile(self) -> str:
        r = self.rng
        digits = r.choice(MOBILE_PREFIX) + "".join(r.choice("0123456789") for _ in range(8))
        style = r.random()
        if style < 0.15:
            return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        if style < 0.25:
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        return digits

    def landline(self) -> str:
        r = self.rng
        area = r.choice(AREA_CODES)
        local = str(r.randint(2, 8)) + "".join(r.choice("0123456789") for _ in range(7 if len(area) == 3 else 6))
        return r.choice((f"{area}-{local}", f"（{area}）{local}", f"{area}{local}"))

    def phone(self) -> str:
        return self.mobile() if self.rng.random() < 0.8 else self.landline()

    def bank_card(self) -> str:
        r = self.rng
        body = r.choice(("622202", "621700", "622848", "621226", "623058")) + "".join(
            r.choice("0123456789") for _ in range(r.choice((9, 12))))
        card = body + luhn_check_digit(body)
        if r.random() < 0.2:
            card = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
        return card

    def plate(self) -> str:
        r = self.rng
        head = r.choice(PLATE_PROV) + r.choice(PLATE_LETTERS[:8])
        if r.random() < 0.2:
            tail = r.choice("DF") + "".join(r.choice("0123456789") for _ in range(5))
        else:
            tail = "".join(r.choice("0123456789ABCDEFGHJK" if i < 2 else "0123456789") for i in range(5))
        return head + ("·" if r.random() < 0.2 else "") + tail

    def address(self) -> str:
        r = self.rng
        prefix = r.choice(("", r.choice(PROVINCES) + r.choice(CITIES), r.choice(CITIES)))
        if r.random() < 0.5:
            return f"{prefix}{r.choice(COUNTIES)}{r.choice(TOWNS)}{r.choice(VILLAGES)}{r.randint(1, 12)}组{r.randint(1, 99)}号"
        return (f"{prefix}{r.choice(COUNTIES)}{r.choice(ROADS)}{r.randint(1, 300)}号"
                f"{r.randint(1, 20)}栋{r.randint(1, 6)}单元{r.randint(1, 30)}{r.randint(1, 4):02d}室")

    def place(self) -> str:
        r = self.rng
        return f"{r.choice(COUNTIES)}{r.choice(TOWNS)}{r.choice(VILLAGES)}"

    def org(self) -> str:
        r = self.rng
        return f"{r.choice(CITIES)}{r.choice(BRANDS)}{r.choice(TRADES)}{r.choice(ORG_SUFFIX)}"

    def shop(self) -> str:
        r = self.rng
        return f"{r.choice(COUNTIES)}{r.choice(BRANDS)}{r.choice(SHOPS)}"

    def uscc(self, kind: str = "91") -> str:
        r = self.rng
        body = kind + r.choice(REGIONS) + "".join(r.choice(USCC_ALPHABET) for _ in range(9))
        return body + uscc_check_char(body)

    def certificate(self) -> str:
        return self.rng.choice(REGIONS) + "".join(self.rng.choice("0123456789") for _ in range(5))

    def date(self) -> str:
        r = self.rng
        return f"{r.randint(2023, 2026)}年{r.randint(1, 12)}月{r.randint(1, 28)}日"


def _party_person(b: _Builder, f: Faker, name: str) -> None:
    r = f.rng
    sex = r.choice("男女")
    v: dict[str, tuple[str, str | None]] = {
        "name": (name, "person_name"), "id": (f.resident_id(), "id_number"), "addr": (f.address(), "address"),
        "phone": (f.phone(), "phone"), "sex": (sex, None), "eth": (r.choice(ETHNIC), None),
        "born": (f"{r.randint(1950, 2005)}年{r.randint(1, 12)}月{r.randint(1, 28)}日", None),
    }
    b.fill(r.choice((
        "当事人：{name}，性别：{sex}，{eth}族，出生日期：{born}，公民身份号码：{id}，住址：{addr}，联系电话：{phone}。\n",
        "当事人{name}，{sex}，{born}出生，身份证号码{id}，住{addr}，电话{phone}。\n",
        "当事人：{name}\n身份证号：{id}\n住所：{addr}\n联系方式：{phone}\n",
        "当事人姓名：{name}，{sex}，{eth}族，户籍地{addr}，公民身份号码{id}，手机号码：{phone}。\n",
    )), v)


def _party_org(b: _Builder, f: Faker, rep: str) -> str:
    r = f.rng
    org = f.org()
    v: dict[str, tuple[str, str | None]] = {
        "org": (org, "organization"), "uscc": (f.uscc(r.choice(("91", "91", "93"))), "uscc"),
        "rep": (rep, "person_name"), "addr": (f.address(), "address"), "phone": (f.phone(), "phone"),
        "id": (f.resident_id(), "id_number"),
    }
    b.fill(r.choice((
        "当事人：{org}\n统一社会信用代码：{uscc}\n法定代表人：{rep}\n住所：{addr}\n联系电话：{phone}\n",
        "当事人：{org}，统一社会信用代码：{uscc}，地址：{addr}，法定代表人：{rep}，身份证号码：{id}。\n",
    )), v)
    return org


def _party_shop(b: _Builder, f: Faker, owner: str) -> str:
    shop = f.shop()
    b.fill("当事人：{shop}（个体工商户）\n统一社会信用代码：{uscc}\n经营者：{owner}，公民身份号码：{id}，"
           "现住{addr}，联系电话：{phone}。\n",
           {"shop": (shop, "organization"), "uscc": (f.uscc("92"), "uscc"), "owner": (owner, "person_name"),
            "id": (f.resident_id(), "id_number"), "addr": (f.address(), "address"), "phone": (f.phone(), "phone")})
    return shop


def generate_decision(rng: random.Random, doc_id: str = "", *, heldout: bool = False) -> GoldDoc:
    """One synthetic decision with its annotated spans (``heldout``: with the held-out phrasing of the facts)."""
    f = Faker(rng)
    sector = rng.choice(sorted(SECTORS))
    info = SECTORS[sector]
    county = rng.choice(COUNTIES)
    agency = f"{county}{info['agency']}"
    b = _Builder()
    b.add(agency, "agency")
    b.add("\n行政处罚决定书\n")
    b.add(f"{county[:2]}{info['code']}罚决字〔{rng.randint(2023, 2026)}〕第{rng.randint(1, 300)}号\n")
    person = f.name()
    kind = rng.random()
    if kind < 0.55:
        _party_person(b, f, person)
        subject: tuple[str, str | None] = (person, "person_name")
        short: tuple[str, str | None] = (person, "person_name")
    elif kind < 0.85:
        org = _party_org(b, f, person)
        subject = (org, "organization")
        short = ("当事人", None)
    else:
        shop = _party_shop(b, f, person)
        subject = (shop, "organization")
        short = (person, "person_name")
    if rng.random() < 0.4:
        agent = f.name()
        if rng.random() < 0.5:
            b.fill("委托代理人：{a}，{firm}律师。\n", {"a": (agent, "person_name"), "firm": (rng.choice(LAW_FIRMS), "organization")})
        else:
            b.fill("委托代理人：{a}，系当事人亲属，身份证号码：{id}，联系电话：{ph}。\n",
                   {"a": (agent, "person_name"), "id": (f.resident_id(), "id_number"), "ph": (f.phone(), "phone")})
    officers = [(f.name(), f.certificate()) for _ in range(2)]
    v: dict[str, tuple[str, str | None]] = {
        "subj": subject, "short": short, "date": (f.date(), None),
        "o1": (officers[0][0], "officer"), "c1": (officers[0][1], None),
        "o2": (officers[1][0], "officer"), "c2": (officers[1][1], None),
    }
    b.fill(rng.choice((
        "{subj}涉嫌违法一案，本机关于{date}立案调查。",
        "本机关于{date}对{subj}涉嫌违法行为立案调查。",
    )), v)
    b.fill("执法人员{o1}（执法证号：{c1}）、{o2}（执法证号：{c2}）进行了现场检查。\n", v)
    b.add("经查，")
    for i in range(rng.randint(2, 3)):
        fact = rng.choice(HELDOUT_FACTS if heldout else info["facts"])
        fv: dict[str, tuple[str, str | None]] = {
            "p": short if i == 0 or rng.random() < 0.5 else (f.name(), "person_name"),
            "w": (f.name(), "person_name"), "place": (f.place(), None), "n": (str(rng.randint(2, 900)), None),
            "plate": (f.plate(), "plate"), "phone": (f.phone(), "phone"), "card": (f.bank_card(), "bank_card"),
        }
        b.fill(rng.choice(("", "{date}，".replace("{date}", f.date()), "另查明，")) + fact + "。", fv)
    witness = f.name()
    free = f.name()
    wv: dict[str, tuple[str, str | None]] = {
        "w": (witness, "person_name"), "x": (free, "person_name"), "id": (f.resident_id(), "id_number"),
        "addr": (f.address(), "address"), "short": short, "plate": (f.plate(), "plate"), "ph": (f.phone(), "phone"),
        "card": (f.bank_card(), "bank_card"),
    }
    b.fill(rng.choice(HELDOUT_WITNESS if heldout else (
        "证人{w}（身份证号码：{id}，住{addr}）证实了上述事实。",
        "{x}向本机关反映，{short}的行为影响其正常生活，并提供了联系电话{ph}。",
        "据{x}陈述，其曾多次劝阻{short}，{w}亦在场。",
        "{short}将违法所得转入{x}的银行账户{card}。",
        "当日{x}驾驶的{plate}号车辆停放于现场，{w}对此予以确认。",
    )) + "\n", wv)
    b.fill("上述事实有现场检查笔录、对{short}的询问笔录、证人{w}的证言、现场照片等证据证明。\n", wv)
    laws = rng.sample(info["laws"], 2)
    lv: dict[str, tuple[str, str | None]] = {
        "l1": (f"《{laws[0]}》", "law_title"), "l2": (f"《{laws[1]}》", "law_title"), "short": short,
        "n1": (rng.choice(("第二十条", "第三十七条", "第四十八条", "第六十五条")), None),
        "amt": (rng.choice(("罚款人民币伍仟元", "罚款人民币20000元", "罚款人民币壹万伍仟元", "警告，并处罚款3000元")), None),
    }
    b.fill("{short}的上述行为违反了{l1}{n1}的规定。依据{l2}的规定，本机关决定给予{short}如下行政处罚：{amt}。\n", lv)
    b.fill("如不服本处罚决定，可在收到本决定书之日起六十日内向{gov}申请行政复议，或者在六个月内依法向{court}提起行政诉讼。\n",
           {"gov": (f"{county}人民政府", "agency"), "court": (f"{county}人民法院", "agency")})
    b.add(agency, "agency")
    b.add(f"\n{f.date()}\n")
    return GoldDoc(doc_id, sector, "".join(b.parts), b.spans)


def golden_set(seed: int = 20261203, count: int = 240, *, heldout: bool = False) -> list[GoldDoc]:
    rng = random.Random(seed)
    prefix = "h" if heldout else "d"
    return [generate_decision(rng, f"{prefix}{i:04d}", heldout=heldout) for i in range(count)]


def sprinkle(rng: random.Random, text: str, count: int = 3) -> tuple[str, list[str]]:
    """Insert ``count`` random checksum-valid ID numbers and phone numbers at random places of ``text`` (never
    inside a run of letters or digits, where they would merge into a longer number). Returns the text and what
    was inserted."""
    f = Faker(rng)
    inserted: list[str] = []
    for _ in range(count):
        value = rng.choice((f.resident_id, f.mobile, f.landline))()
        for _attempt in range(50):
            i = rng.randint(0, len(text))
            left = text[i - 1:i]
            right = text[i:i + 1]
            if not (left.isascii() and left.isalnum()) and not (right.isascii() and right.isalnum()):
                break
        text = text[:i] + value + text[i:]
        inserted.append(value)
    return text, inserted
