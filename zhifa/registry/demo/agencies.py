"""The demo county's agencies, internal units, staff plans and logins (data only; `loader` creates the rows).

Agency names and internal units come from the five seed implementation plans (../shared/seeds/*.txt); where a
seed names no units, a typical set for that kind of bureau is used (docs/decisions/0007-demo-county.md says
which). Addresses, phone numbers, USCCs, certificate numbers and all people are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhifa.accounts.roles import Role
from zhifa.common.identifiers import organization_code_check_char, uscc_check_char

BUREAU_NAME = "示范市司法局"
DEMO_PASSWORD = "zhifa-demo-2026"

# Staff kinds: certified officer, legal reviewer (with or without 法律职业资格), auxiliary, expired or suspended
# certificate. A kind may carry the login role linked to that person.
OFFICER, REVIEWER, REVIEWER_QUALIFIED, AUXILIARY, EXPIRED, SUSPENDED = (
    "officer", "reviewer", "reviewer_q", "auxiliary", "expired", "suspended",
)

# Agency roles, one login each; the username suffix follows the role.
AGENCY_ROLES: list[tuple[str, str]] = [
    (Role.OFFICER, "officer"),
    (Role.UNIT_HEAD, "unithead"),
    (Role.LEGAL_REVIEWER, "reviewer"),
    (Role.AGENCY_HEAD, "head"),
    (Role.DISCLOSURE_OFFICER, "disclosure"),
    (Role.ARCHIVIST, "archivist"),
    (Role.AGENCY_ADMIN, "admin"),
]


def demo_uscc(region_code: str, serial: int) -> str:
    """A synthetic but valid USCC of a government organ (11 = 机构编制/机关), ID-1…ID-4.

    The organization-code part starts with DEM0 so it can never be mistaken for a real organ's code.
    """
    body = f"DEM0{serial:04d}"
    first17 = "11" + region_code + body + organization_code_check_char(body)
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class UnitSpec:
    name: str
    functions: str
    is_legal_office: bool = False


@dataclass(frozen=True)
class StaffSpec:
    unit: str | None  # unit name, None for the bureau's leadership
    position: str
    kind: str = OFFICER
    login: str = ""  # role whose login is linked to this person


@dataclass(frozen=True)
class AgencySpec:
    key: str  # username prefix
    seed: str  # seed file it comes from ("" for the fictional bureau)
    name: str
    short_name: str
    region_code: str
    region_name: str
    level: str
    sector: str
    province: str  # 湘 粤 辽 云 晋: prefix of certificate numbers
    province_name: str
    legal_basis: str
    address: str
    phone: str
    complaint_phone: str
    reconsideration_body: str
    litigation_court: str
    enforcement_unit: str = ""  # handles penalties, coercion and inspections
    license_unit: str = ""  # handles licences and service guides
    domains: str = ""  # 执法领域 on certificates
    units: tuple[UnitSpec, ...] = ()
    staff: tuple[StaffSpec, ...] = ()
    av_device_count: int | None = None  # None: enough for REG-23
    review_thresholds: tuple[int, int] = (0, 0)  # agency-configured amounts for the review catalog (person, org)
    av_conditional: bool = False  # S002: "根据实际情况进行音像记录"

    @property
    def certified_plan(self) -> int:
        """Officers with a certificate valid today, as planned (REG-8)."""
        return sum(1 for s in self.staff if s.kind in (OFFICER, REVIEWER, REVIEWER_QUALIFIED))


_H = "12345政务服务便民热线"

BUREAU = AgencySpec(
    key="sifaju", seed="", name=BUREAU_NAME, short_name="示范市司法局", region_code="430600", region_name="示范市",
    level="city", sector="justice", province="", province_name="",
    legal_basis="依照《法治政府建设实施纲要》和国办发〔2018〕118号，承担本地区行政执法协调监督工作（演示用虚构机关）。",
    address="示范市人民路1号（虚构）", phone="0730-8000000", complaint_phone=_H,
    reconsideration_body="示范市人民政府", litigation_court="示范市人民法院",
    units=(
        UnitSpec("行政执法协调监督科", "指导、监督本地区行政执法“三项制度”落实，组织行政执法证件管理和执法人员培训。"),
    ),
)

AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        key="linxiang", seed="000", name="临湘市水利局", short_name="临湘水利", region_code="430682",
        region_name="湖南省岳阳市临湘市", level="county", sector="water", province="湘", province_name="湖南省",
        legal_basis="《中华人民共和国水法》《中华人民共和国防洪法》《中华人民共和国水土保持法》《中华人民共和国河道管理条例》"
        "《取水许可和水资源费征收管理条例》等法律、法规赋予县级人民政府水行政主管部门的水行政执法职权。",
        address="临湘市长安街道滨江路18号（演示地址）", phone="0730-3721000", complaint_phone="0730-3721001；" + _H,
        reconsideration_body="临湘市人民政府", litigation_court="临湘市人民法院",
        enforcement_unit="水政监察大队", license_unit="行政审批与法规股", domains="水资源管理、河道管理、防汛抗旱、水土保持",
        units=(
            UnitSpec("办公室", "负责机关日常运转、政务公开和档案管理。"),
            UnitSpec("水政监察大队", "负责全市水行政执法，查处水事违法案件，组织水政监察巡查。"),
            UnitSpec("水土保持股", "负责水土流失预防和治理的监督管理，生产建设项目水土保持方案实施情况的监督检查。"),
            UnitSpec("河长股", "承担河长制日常工作，河湖管理和保护的监督检查。"),
            UnitSpec("水资源股", "负责水资源管理、取水许可的监督管理和节约用水工作。"),
            UnitSpec("安全办", "负责水利工程安全生产监督管理。"),
            UnitSpec("工程股", "负责水利工程建设与运行管理。"),
            UnitSpec("行政审批与法规股", "负责水行政许可审批、规范性文件合法性审核和重大执法决定法制审核。",
                     is_legal_office=True),
            UnitSpec("水旱灾害防御事务中心", "承担水旱灾害防御的具体事务工作。"),
            UnitSpec("财务股", "负责财务和执法装备经费保障。"),
        ),
        staff=(
            StaffSpec(None, "局长", login=Role.AGENCY_HEAD),
            StaffSpec("水政监察大队", "大队长", login=Role.UNIT_HEAD),
            StaffSpec("水政监察大队", "副大队长"),
            StaffSpec("水政监察大队", "执法队员", login=Role.OFFICER),
            StaffSpec("水政监察大队", "执法队员"),
            StaffSpec("水政监察大队", "执法队员", EXPIRED),
            StaffSpec("水资源股", "股长"),
            StaffSpec("水土保持股", "股长"),
            StaffSpec("河长股", "科员", SUSPENDED),
            StaffSpec("行政审批与法规股", "股长", REVIEWER_QUALIFIED, login=Role.LEGAL_REVIEWER),
            StaffSpec("水政监察大队", "执法辅助人员", AUXILIARY),
            StaffSpec("水政监察大队", "执法辅助人员", AUXILIARY),
        ),
        review_thresholds=(10000, 100000),
    ),
    AgencySpec(
        key="xiashan", seed="001", name="霞山区城市管理和综合执法局", short_name="霞山城综局", region_code="440802",
        region_name="广东省湛江市霞山区", level="county", sector="urban", province="粤", province_name="广东省",
        legal_basis="《中华人民共和国城乡规划法》《城市市容和环境卫生管理条例》《城市道路管理条例》《城镇排水与污水处理条例》"
        "等法律、法规规定的城市管理职权，以及依法相对集中行使的部分行政处罚权。",
        address="湛江市霞山区建设路26号（演示地址）", phone="0759-2280000", complaint_phone="0759-2280001；" + _H,
        reconsideration_body="湛江市霞山区人民政府", litigation_court="湛江市霞山区人民法院",
        enforcement_unit="城市管理综合执法大队", license_unit="市政设施股", domains="城市管理综合执法",
        units=(
            UnitSpec("办公室", "负责机关日常运转、政务公开和档案管理。"),
            UnitSpec("政策法规股", "负责重大行政执法决定法制审核、规范性文件合法性审核和普法工作。", is_legal_office=True),
            UnitSpec("市容环境卫生股", "负责市容和环境卫生的监督管理。"),
            UnitSpec("市政设施股", "负责城市道路、排水设施的监督管理和相关行政许可。"),
            UnitSpec("城市管理综合执法大队", "负责城市管理领域的行政检查、行政处罚和行政强制。"),
        ),
        staff=(
            StaffSpec(None, "局长", login=Role.AGENCY_HEAD),
            StaffSpec("城市管理综合执法大队", "大队长", login=Role.UNIT_HEAD),
            StaffSpec("城市管理综合执法大队", "副大队长"),
            StaffSpec("城市管理综合执法大队", "中队长"),
            StaffSpec("城市管理综合执法大队", "执法队员", login=Role.OFFICER),
            StaffSpec("城市管理综合执法大队", "执法队员"),
            StaffSpec("城市管理综合执法大队", "执法队员"),
            StaffSpec("城市管理综合执法大队", "执法队员", EXPIRED),
            StaffSpec("市容环境卫生股", "股长"),
            StaffSpec("市政设施股", "股长", SUSPENDED),
            StaffSpec("政策法规股", "股长", REVIEWER_QUALIFIED, login=Role.LEGAL_REVIEWER),
            StaffSpec("政策法规股", "科员", REVIEWER),
            StaffSpec("城市管理综合执法大队", "城管协管员", AUXILIARY),
            StaffSpec("城市管理综合执法大队", "城管协管员", AUXILIARY),
        ),
        av_device_count=3,  # short of ceil(officers / 2): the REG-23 alert shows
        review_thresholds=(5000, 50000),
    ),
    AgencySpec(
        key="kaiyuan", seed="002", name="开原市水利局", short_name="开原水利", region_code="211282",
        region_name="辽宁省铁岭市开原市", level="county", sector="water", province="辽", province_name="辽宁省",
        legal_basis="《中华人民共和国水法》《中华人民共和国防洪法》《中华人民共和国水土保持法》《中华人民共和国河道管理条例》"
        "《取水许可和水资源费征收管理条例》等法律、法规赋予县级人民政府水行政主管部门的水行政执法职权。",
        address="开原市新城街道兴开路9号（演示地址）", phone="024-73120000", complaint_phone="024-73120001；" + _H,
        reconsideration_body="开原市人民政府", litigation_court="开原市人民法院",
        enforcement_unit="水政监察大队", license_unit="水资源管理科", domains="水资源管理、河道管理、水土保持",
        units=(
            UnitSpec("办公室", "负责机关日常运转、政务公开和档案管理。"),
            UnitSpec("政策法规科", "负责重大执法决定法制审核和规范性文件合法性审核。", is_legal_office=True),
            UnitSpec("水资源管理科", "负责水资源管理、取水许可和节约用水。"),
            UnitSpec("河湖管理科", "负责河道、湖泊管理和保护。"),
            UnitSpec("水土保持科", "负责水土保持监督管理和生产建设项目水土保持方案审批。"),
            UnitSpec("水政监察大队", "负责水行政执法，查处水事违法案件。"),
        ),
        staff=(
            StaffSpec(None, "局长", login=Role.AGENCY_HEAD),
            StaffSpec("水政监察大队", "大队长", login=Role.UNIT_HEAD),
            StaffSpec("水政监察大队", "执法队员", login=Role.OFFICER),
            StaffSpec("水政监察大队", "执法队员"),
            StaffSpec("水政监察大队", "执法队员", SUSPENDED),
            StaffSpec("水资源管理科", "科长"),
            StaffSpec("河湖管理科", "科员", EXPIRED),
            StaffSpec("水土保持科", "科员"),
            StaffSpec("政策法规科", "科长", REVIEWER_QUALIFIED, login=Role.LEGAL_REVIEWER),
            StaffSpec("水政监察大队", "执法辅助人员", AUXILIARY),
        ),
        review_thresholds=(10000, 100000),
        av_conditional=True,
    ),
    AgencySpec(
        key="weixi", seed="003", name="维西傈僳族自治县农业农村局", short_name="维西农业农村局", region_code="533423",
        region_name="云南省迪庆藏族自治州维西傈僳族自治县", level="county", sector="agriculture", province="云",
        province_name="云南省",
        legal_basis="《中华人民共和国种子法》《中华人民共和国农产品质量安全法》《中华人民共和国动物防疫法》《农药管理条例》"
        "《兽药管理条例》等法律、法规赋予县级人民政府农业农村主管部门的执法职权。",
        address="维西傈僳族自治县保和镇新华街12号（演示地址）", phone="0887-8620000", complaint_phone="0887-8620001；" + _H,
        reconsideration_body="维西傈僳族自治县人民政府", litigation_court="维西傈僳族自治县人民法院",
        enforcement_unit="农业综合行政执法大队", license_unit="种植业管理股", domains="农业综合执法",
        units=(
            UnitSpec("办公室", "负责机关日常运转、政务公开和档案管理。"),
            UnitSpec("政策法规股", "负责重大执法决定法制审核和规范性文件合法性审核。", is_legal_office=True),
            UnitSpec("种植业管理股", "负责种子、农药、肥料等农业投入品的监督管理和相关行政许可。"),
            UnitSpec("畜牧兽医股", "负责动物防疫、兽药和畜禽养殖的监督管理。"),
            UnitSpec("农产品质量安全监管股", "负责农产品质量安全监督管理和承诺达标合格证制度的推行。"),
            UnitSpec("农业综合行政执法大队", "集中行使农业领域的行政处罚以及与之相关的行政检查、行政强制。"),
        ),
        staff=(
            StaffSpec(None, "局长", login=Role.AGENCY_HEAD),
            StaffSpec("农业综合行政执法大队", "大队长", login=Role.UNIT_HEAD),
            StaffSpec("农业综合行政执法大队", "执法队员", login=Role.OFFICER),
            StaffSpec("农业综合行政执法大队", "执法队员"),
            StaffSpec("农业综合行政执法大队", "执法队员", EXPIRED),
            StaffSpec("畜牧兽医股", "股长"),
            StaffSpec("种植业管理股", "股长", SUSPENDED),
            # No designated 法制审核人员 on the roster: the REG-20 staffing alert shows (0 of 1).
            StaffSpec("政策法规股", "科员（兼管法制审核，尚未按规定配备法制审核人员）", login=Role.LEGAL_REVIEWER),
            StaffSpec("农业综合行政执法大队", "执法辅助人员", AUXILIARY),
        ),
        review_thresholds=(5000, 30000),
    ),
    AgencySpec(
        key="shuozhou", seed="004", name="朔州市环境保护局", short_name="朔州环保局", region_code="140600",
        region_name="山西省朔州市", level="city", sector="environment", province="晋", province_name="山西省",
        legal_basis="《中华人民共和国环境保护法》《中华人民共和国大气污染防治法》《中华人民共和国水污染防治法》"
        "《中华人民共和国固体废物污染环境防治法》《中华人民共和国环境影响评价法》等法律赋予设区的市级人民政府"
        "环境保护（生态环境）主管部门的执法职权。",
        address="朔州市朔城区开发南路66号（演示地址）", phone="0349-2020000", complaint_phone="12369环保举报热线；" + _H,
        reconsideration_body="朔州市人民政府", litigation_court="朔州市朔城区人民法院",
        enforcement_unit="市环境监察支队", license_unit="环评科", domains="生态环境保护执法",
        units=(
            UnitSpec("办公室", "负责机关日常运转、政务公开和档案管理。"),
            UnitSpec("法规科", "负责重大执法决定法制审核，领导小组办公室设在本科。", is_legal_office=True),
            UnitSpec("污防科", "负责大气、水、固体废物等污染防治的监督管理。"),
            UnitSpec("环评科", "负责建设项目环境影响评价文件审批和排污许可管理。"),
            UnitSpec("生态科", "负责生态环境保护和自然生态监督。"),
            UnitSpec("项目管理科", "负责环境保护项目管理。"),
            UnitSpec("市环境监察支队", "负责环境执法检查和环境违法案件查处。"),
            UnitSpec("市环境监测站", "负责环境质量监测和执法监测。"),
            UnitSpec("市监控中心", "负责污染源自动监控。"),
            UnitSpec("市环境信息中心", "负责环境信息化建设和信息公开平台维护。"),
            UnitSpec("市环境应急中心", "负责突发环境事件应急处置。"),
            UnitSpec("市核与辐射管理站", "负责核与辐射安全监督管理。"),
        ),
        staff=(
            StaffSpec(None, "局长", login=Role.AGENCY_HEAD),
            StaffSpec("市环境监察支队", "支队长", login=Role.UNIT_HEAD),
            StaffSpec("市环境监察支队", "副支队长"),
            StaffSpec("市环境监察支队", "环境监察员", login=Role.OFFICER),
            StaffSpec("市环境监察支队", "环境监察员"),
            StaffSpec("市环境监察支队", "环境监察员"),
            StaffSpec("市环境监察支队", "环境监察员"),
            StaffSpec("市环境监察支队", "环境监察员", EXPIRED),
            StaffSpec("污防科", "科长"),
            StaffSpec("环评科", "科员", SUSPENDED),
            StaffSpec("法规科", "科长", REVIEWER_QUALIFIED, login=Role.LEGAL_REVIEWER),
            StaffSpec("法规科", "科员", REVIEWER_QUALIFIED),
            StaffSpec("生态科", "科员"),
            StaffSpec("市环境监察支队", "执法辅助人员", AUXILIARY),
            StaffSpec("市环境监察支队", "执法辅助人员", AUXILIARY),
        ),
        review_thresholds=(20000, 200000),
    ),
)
