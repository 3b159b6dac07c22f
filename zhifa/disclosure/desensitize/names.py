"""Chinese surnames (the role-word rule and the name mask need them). Pure data."""

from __future__ import annotations

from typing import Final

#: The common single-character surnames (about 99 % of the population), most frequent first.
SINGLE: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易"
    "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管"
    "柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬"
    "边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺"
    "楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄"
    "邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智"
)

#: Compound surnames.
COMPOUND: Final = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕",
    "令狐", "钟离", "澹台", "公冶", "太史", "端木", "南宫", "西门", "独孤", "呼延", "万俟", "闻人", "赫连", "第五",
)

SINGLE_SET: Final = frozenset(SINGLE)
COMPOUND_SET: Final = frozenset(COMPOUND)


def surname_of(name: str) -> str:
    """The surname of a full name: a compound surname when the name starts with one, else the first character."""
    if len(name) >= 3 and name[:2] in COMPOUND_SET:
        return name[:2]
    return name[:1]


def starts_with_surname(text: str) -> int:
    """Length of the surname at the start of ``text`` (2 for a compound one), 0 when there is none."""
    if text[:2] in COMPOUND_SET:
        return 2
    if text[:1] in SINGLE_SET:
        return 1
    return 0
