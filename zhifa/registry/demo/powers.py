"""Power-list data of the demo: which articles of laws.json each agency enforces, and its other matters.

Every legal basis names an article that laws.json holds (`laws.LawIndex` refuses anything else). Penalty items are
derived from the penalty articles of the agency's sector; licences, coercion and inspections are listed here with
the articles that support them. Where the library lacks the article that grants a power (e.g. the 监督检查
chapter of a law), the item cites the duties it checks and says so in its basis note.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhifa.registry.models import ActionType, DayKind

Basis = tuple[tuple[str, tuple[int, ...]], ...]  # ((law short name, (article numbers…)), …)

# Penalty articles each agency exercises, by sector. 城乡规划法 65 is left out (乡、镇人民政府 decide), as are
# 环境保护法 63 (detention, decided by the public-security organ) and, for the environment bureau, the articles that
# laws.md note 6 says 城市管理综合执法 usually enforces; the urban bureau takes those (相对集中行政处罚权).
PENALTIES: dict[str, tuple[tuple[str, int], ...]] = {
    "water": (
        ("水法", 65), ("水法", 66), ("水法", 69), ("水法", 72),
        ("水土保持法", 48), ("水土保持法", 53), ("水土保持法", 54), ("水土保持法", 55),
        ("防洪法", 55), ("防洪法", 56), ("防洪法", 57), ("防洪法", 58), ("防洪法", 60),
        ("河道管理条例", 44), ("河道管理条例", 45),
        ("取水许可和水资源费征收管理条例", 49), ("取水许可和水资源费征收管理条例", 52),
        ("取水许可和水资源费征收管理条例", 53),
    ),
    "urban": (
        ("城乡规划法", 64), ("城乡规划法", 66), ("城乡规划法", 67),
        ("城市市容和环境卫生管理条例", 34), ("城市市容和环境卫生管理条例", 36),
        ("城市道路管理条例", 40), ("城市道路管理条例", 42),
        ("城镇排水与污水处理条例", 49), ("城镇排水与污水处理条例", 50), ("城镇排水与污水处理条例", 56),
        ("城镇排水与污水处理条例", 57),
        ("大气污染防治法", 115), ("大气污染防治法", 116), ("大气污染防治法", 118), ("大气污染防治法", 119),
        ("固体废物污染环境防治法", 111),
    ),
    "agriculture": (
        ("农药管理条例", 55), ("农药管理条例", 56), ("农药管理条例", 58), ("农药管理条例", 60),
        ("种子法", 74), ("种子法", 75), ("种子法", 76), ("种子法", 77), ("种子法", 79),
        ("兽药管理条例", 56), ("兽药管理条例", 62), ("兽药管理条例", 63), ("兽药管理条例", 68),
        ("农产品质量安全法", 66), ("农产品质量安全法", 69), ("农产品质量安全法", 70), ("农产品质量安全法", 71),
        ("农产品质量安全法", 73),
        ("动物防疫法", 92), ("动物防疫法", 97), ("动物防疫法", 98), ("动物防疫法", 100),
    ),
    "environment": (
        ("环境保护法", 59), ("环境保护法", 60),
        ("大气污染防治法", 99),
        ("水污染防治法", 83), ("水污染防治法", 84), ("水污染防治法", 85), ("水污染防治法", 91),
        ("固体废物污染环境防治法", 102), ("固体废物污染环境防治法", 112), ("固体废物污染环境防治法", 114),
        ("环境影响评价法", 31), ("环境影响评价法", 32),
    ),
}

# Penalty articles that punish by reference to another one (laws.json `by_reference`): one power item cites both.
ALSO_CITED: dict[tuple[str, int], tuple[str, int]] = {
    ("水法", 69): ("取水许可和水资源费征收管理条例", 48),
    ("环境影响评价法", 31): ("环境保护法", 61),
}

# Names where the parsed violation does not read well as an item name.
PENALTY_NAMES: dict[tuple[str, int], str] = {
    ("城市道路管理条例", 42): "对擅自占用或者挖掘城市道路等损害、侵占城市道路行为的行政处罚",
    ("城市市容和环境卫生管理条例", 34): "对随地吐痰、乱扔废弃物、乱涂乱画等影响市容和环境卫生行为的行政处罚",
    ("河道管理条例", 44): "对在河道管理范围内弃置、堆放阻碍行洪物体等违反河道管理规定行为的行政处罚",
    ("河道管理条例", 45): "对损毁堤防、护岸、闸坝等水工程建筑物和防汛设施等行为的行政处罚",
    ("动物防疫法", 97): "对违反规定屠宰、经营、运输动物或者生产、经营、加工、贮藏、运输动物产品的行政处罚",
    ("环境保护法", 59): "对违法排放污染物受到罚款处罚、被责令改正拒不改正的按日连续处罚",
    ("环境影响评价法", 32): "对建设项目环境影响报告书、报告表存在严重质量问题的行政处罚",
}


def penalty_name(key: tuple[str, int], violation: str) -> str:
    """对…的行政处罚, from the first clause of the parsed violation."""
    if key in PENALTY_NAMES:
        return PENALTY_NAMES[key]
    clauses = [c for c in violation.split("；") if c]
    core = clauses[0] + ("等行为" if len(clauses) > 1 else "")
    return f"对{core}的行政处罚"[:200]


@dataclass(frozen=True)
class GuideSpec:
    title: str
    conditions: str
    materials: str
    time_limit: tuple[int, str] | None = None  # (days, DayKind), only where a rule or the law states it
    fees: str = "不收费"


@dataclass(frozen=True)
class ItemSpec:
    action_type: str
    name: str
    basis: Basis
    note: str = ""
    subjects: str = ""  # inspections: who is checked (随机抽查对象)
    content: str = ""  # inspections: what is checked
    # Licences: the decision step when the law itself states the limit: (days or None, kind, description, rule ref).
    decision: tuple[int | None, str, str, str] | None = None
    guide: GuideSpec | None = None


_NO_GRANT = "监督检查职权条款未收录于演示法规库，此处列明所检查的禁止性、义务性规定。"
_LIMIT_ELSEWHERE = (None, "", "审批期限依照该事项专门法规的规定执行（相关条款未收录于演示法规库）。", "")

_WATER: tuple[ItemSpec, ...] = (
    ItemSpec(
        ActionType.LICENSE, "取水许可", (("水法", (48,)), ("取水许可和水资源费征收管理条例", (2, 21))),
        decision=_LIMIT_ELSEWHERE,
        guide=GuideSpec(
            "取水许可", "直接从江河、湖泊或者地下取用水资源的单位和个人（家庭生活和零星散养、圈养畜禽饮用等少量取水的除外）。",
            "1. 取水申请书；2. 与第三者利害关系的相关说明；3. 建设项目水资源论证报告或者取水许可申请材料；"
            "4. 申请人身份证明或者统一社会信用代码证明。",
        ),
    ),
    ItemSpec(
        ActionType.LICENSE, "河道管理范围内建设项目工程建设方案审查",
        (("水法", (38,)), ("防洪法", (27,)), ("河道管理条例", (11,))),
        guide=GuideSpec(
            "河道管理范围内建设项目工程建设方案审查",
            "在河道管理范围内建设桥梁、码头和其他拦河、跨河、临河建筑物、构筑物，铺设跨河管道、电缆的建设单位。",
            "1. 申请书；2. 工程建设方案及防洪评价报告；3. 建设项目所依据的文件；4. 涉及利害关系人的相关说明。",
            time_limit=(20, DayKind.WORKING),
        ),
    ),
    ItemSpec(ActionType.LICENSE, "生产建设项目水土保持方案审批", (("水土保持法", (25, 26)),)),
    ItemSpec(ActionType.LICENSE, "河道管理范围内采砂、取土等活动审批", (("河道管理条例", (25,)),)),
    ItemSpec(
        ActionType.COERCION, "强行拆除妨碍行洪的违法建筑物、构筑物", (("水法", (65,)), ("防洪法", (57,))),
        note="当事人逾期不拆除、不恢复原状的，依照上述条款强行拆除，所需费用由违法单位或者个人负担。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对取水单位和个人取水情况的监督检查",
        (("水法", (48,)), ("取水许可和水资源费征收管理条例", (42, 43))), note=_NO_GRANT,
        subjects="取水单位和个人", content="取水许可证持有情况、取水计量设施安装运行情况、年度取水情况报送情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对河道管理范围内建设项目和活动的监督检查",
        (("水法", (37, 38)), ("防洪法", (22, 27)), ("河道管理条例", (24, 25))), note=_NO_GRANT,
        subjects="河道管理范围内的建设单位和从事采砂、取土等活动的单位和个人",
        content="工程建设方案审查同意情况、是否按照批准的位置和界限施工、有无妨碍行洪的建筑物和活动。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对生产建设项目水土保持方案实施情况的监督检查",
        (("水土保持法", (25, 27, 28)),), note=_NO_GRANT,
        subjects="依法应当编制水土保持方案的生产建设单位",
        content="水土保持方案编报审批、水土保持措施落实、水土保持设施验收及弃渣堆放情况。",
    ),
)

_URBAN: tuple[ItemSpec, ...] = (
    ItemSpec(
        ActionType.LICENSE, "城市道路占用、挖掘审批", (("城市道路管理条例", (30, 31, 36)),),
        guide=GuideSpec(
            "城市道路占用、挖掘审批", "因特殊情况需要临时占用或者因工程建设需要挖掘城市道路的单位和个人。",
            "1. 申请表；2. 占用或者挖掘的位置、面积、期限说明及平面图；3. 施工安全和交通疏导方案；"
            "4. 公安交通管理部门的意见（按规定需要的）。",
            time_limit=(20, DayKind.WORKING),
        ),
    ),
    ItemSpec(
        ActionType.LICENSE, "污水排入排水管网许可证核发", (("城镇排水与污水处理条例", (21,)),),
        guide=GuideSpec(
            "污水排入排水管网许可证核发", "从事工业、建筑、餐饮、医疗等活动，向城镇排水设施排放污水的企业事业单位、个体工商户。",
            "1. 申请书；2. 排水户内部排水管网、专用检测井、污水排放口位置和口径的图纸及说明；"
            "3. 按规定建设的污水预处理设施的有关材料；4. 排水水质、水量符合标准的检测报告。",
            time_limit=(20, DayKind.WORKING),
        ),
    ),
    ItemSpec(ActionType.LICENSE, "依附于城市道路建设管线、杆线等设施审批", (("城市道路管理条例", (29,)),)),
    ItemSpec(
        ActionType.COERCION, "查封施工现场、强制拆除违法建设", (("城乡规划法", (64, 68)),),
        note="当事人不停止建设或者逾期不拆除的，经区人民政府责成后实施。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对城市道路占用、挖掘情况的监督检查", (("城市道路管理条例", (27, 30, 31, 36)),),
        note=_NO_GRANT, subjects="占用、挖掘城市道路的单位和个人",
        content="审批手续、占用挖掘的位置面积期限、施工现场安全防护和现场清理情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对市容和环境卫生的监督检查",
        (("城市市容和环境卫生管理条例", (10, 14, 15, 16, 17)),), note=_NO_GRANT,
        subjects="临街单位、施工工地和运输车辆", content="临街建筑物整洁、占道堆放、工地围挡和渣土清运、车辆密封覆盖情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对排水户排水行为的监督检查", (("城镇排水与污水处理条例", (20, 21, 42, 43)),),
        note=_NO_GRANT, subjects="排水户", content="污水排入排水管网许可证持有及按证排水情况、排水设施保护情况。",
    ),
)

_AGRICULTURE: tuple[ItemSpec, ...] = (
    ItemSpec(
        ActionType.LICENSE, "农药经营许可", (("农药管理条例", (24,)),),
        guide=GuideSpec(
            "农药经营许可", "在本县从事农药经营的单位和个人（经营卫生用农药的除外），具备《农药管理条例》第二十四条规定的条件。",
            "1. 农药经营许可证申请表；2. 经营人员的专业知识证明材料；3. 营业场所和仓储场所的地址、平面图；"
            "4. 质量管理、台账记录、安全防护、应急处置、仓储管理等制度文本。",
            time_limit=(20, DayKind.WORKING),
        ),
    ),
    ItemSpec(
        ActionType.LICENSE, "兽药经营许可证核发", (("兽药管理条例", (22,)),),
        decision=(30, DayKind.WORKING, "自收到申请之日起30个工作日内完成审查，审查合格的发给兽药经营许可证。",
                  "《兽药管理条例》第二十二条"),
        guide=GuideSpec(
            "兽药经营许可证核发（兽用生物制品除外）", "具备《兽药管理条例》第二十二条规定条件的兽药经营企业。",
            "1. 申请表；2. 兽药技术人员资格证明；3. 营业场所、设备、仓库设施的证明材料；4. 质量管理制度文本。",
            time_limit=(30, DayKind.WORKING),
        ),
    ),
    ItemSpec(
        ActionType.LICENSE, "动物防疫条件合格证核发", (("动物防疫法", (25,)),),
        guide=GuideSpec(
            "动物防疫条件合格证核发", "开办动物饲养场和隔离场所、动物屠宰加工场所以及动物和动物产品无害化处理场所的单位和个人。",
            "1. 申请表；2. 场所地理位置图、各功能区布局平面图；3. 设施设备清单；4. 管理制度文本；5. 人员情况说明。",
            time_limit=(20, DayKind.WORKING),
        ),
    ),
    ItemSpec(
        ActionType.INSPECTION, "对农药经营和使用的监督检查", (("农药管理条例", (24, 28, 34, 35)),), note=_NO_GRANT,
        subjects="农药经营者和农产品生产企业等农药使用者", content="经营许可、采购销售台账、禁限用农药经营使用、安全间隔期执行情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对种子生产经营的监督检查", (("种子法", (23, 33, 40, 48)),), note=_NO_GRANT,
        subjects="种子生产经营者", content="种子生产经营许可证、标签和使用说明、品种审定或者登记、种子质量情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对动物防疫的监督检查", (("动物防疫法", (17, 25, 29, 49, 51, 57)),), note=_NO_GRANT,
        subjects="动物饲养场、屠宰加工场所、经营和运输单位", content="强制免疫、动物防疫条件、检疫证明、病死动物无害化处理情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对农产品质量安全的监督检查", (("农产品质量安全法", (27, 29, 36, 39)),), note=_NO_GRANT,
        subjects="农产品生产企业、农民专业合作社和农产品收购单位",
        content="农产品生产记录、农业投入品使用、承诺达标合格证开具情况。",
    ),
)

_ENVIRONMENT: tuple[ItemSpec, ...] = (
    ItemSpec(
        ActionType.LICENSE, "建设项目环境影响报告书、报告表审批", (("环境影响评价法", (16, 22, 24)),),
        decision=(None, "", "自收到环境影响报告书之日起六十日内、收到环境影响报告表之日起三十日内作出审批决定。",
                  "《环境影响评价法》第二十二条"),
        guide=GuideSpec(
            "建设项目环境影响报告书、报告表审批",
            "依法应当编制环境影响报告书、报告表，且属于本局审批权限的建设项目的建设单位。审批期限：自收到报告书之日起六十日内、"
            "收到报告表之日起三十日内作出审批决定（《中华人民共和国环境影响评价法》第二十二条）。",
            "1. 建设项目环境影响评价文件审批申请；2. 环境影响报告书或者报告表；3. 依法需要公开的信息说明。",
            fees="不收取任何费用（《中华人民共和国环境影响评价法》第二十二条）",
        ),
    ),
    ItemSpec(
        ActionType.LICENSE, "排污许可证核发", (("环境保护法", (45,)), ("大气污染防治法", (19,)), ("水污染防治法", (21,))),
        decision=_LIMIT_ELSEWHERE,
    ),
    ItemSpec(
        ActionType.COERCION, "查封、扣押造成污染物排放的设施、设备", (("环境保护法", (25,)),),
    ),
    ItemSpec(
        ActionType.INSPECTION, "对排污单位污染物排放情况的监督检查",
        (("环境保护法", (42, 45)), ("大气污染防治法", (20,)), ("水污染防治法", (10, 21, 39))), note=_NO_GRANT,
        subjects="排污许可重点管理和简化管理单位", content="排污许可证执行、污染防治设施运行、自动监测数据和排放达标情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对建设项目环境影响评价制度执行情况的监督检查",
        (("环境保护法", (19,)), ("环境影响评价法", (24, 25))), note=_NO_GRANT,
        subjects="在建和已建成的建设项目建设单位", content="环境影响评价文件审批、重大变动重新报批和“未批先建”情况。",
    ),
    ItemSpec(
        ActionType.INSPECTION, "对危险废物污染环境防治的监督检查", (("固体废物污染环境防治法", (20, 36, 79, 80)),),
        note=_NO_GRANT, subjects="危险废物产生单位和经营单位", content="危险废物识别标志、管理计划、贮存利用处置和转移联单执行情况。",
    ),
)

OTHER_ITEMS: dict[str, tuple[ItemSpec, ...]] = {
    "water": _WATER, "urban": _URBAN, "agriculture": _AGRICULTURE, "environment": _ENVIRONMENT,
}

COMPLAINT_GUIDE = GuideSpec(
    "行政执法投诉举报",
    "公民、法人或者其他组织认为本机关行政执法人员有违法或者不当执法行为，或者发现本机关职责范围内的违法行为的，"
    "可以通过投诉举报电话、来信来访或者12345政务服务便民热线投诉举报。",
    "1. 投诉举报人的姓名（名称）和联系方式（匿名举报的除外）；2. 被投诉举报的对象、事实和理由；3. 相关证据或者线索。",
)
