"""Embedded word lists for the demo data: names, companies, places, titles and message templates.

Everything here is plain data. Addresses use reserved ``.example`` domains (RFC 2606) and
US numbers use the fictional 555-01xx range, so a demo campaign can never reach a real person.
No string may contain a tab, newline or backslash: rows are streamed with COPY's text format
(tests/customers/test_seed_demo.py checks this).
"""

# Chinese text is written with full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """ "汉字:pinyin" pairs separated by spaces."""
    return tuple((hanzi, pinyin) for hanzi, pinyin in (pair.split(":") for pair in text.split()))


# --- People -------------------------------------------------------------------

EN_FIRST_NAMES = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon "
    "Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda "
    "Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Diane Tyler Julie Aaron Joyce Jose Victoria Adam Kelly Nathan Christina Henry "
    "Lauren Zachary Joan Douglas Evelyn Peter Judith Kyle Megan Noah Andrea Ethan Cheryl Jeremy Hannah "
    "Walter Jacqueline Christian Martha Keith Gloria Roger Teresa Terry Ann Austin Sara Sean Madison "
    "Gerald Frances Carl Kathryn Harold Janice Dylan Jean Arthur Abigail Lawrence Alice Jordan Judy "
    "Jesse Sophia Bryan Grace Billy Denise Bruce Amber Gabriel Doris Joe Marilyn Logan Danielle Alan "
    "Beverly Juan Isabella Albert Theresa Willie Diana Elijah Natalie Wayne Brittany Randy Charlotte "
    "Vincent Marie Mason Kayla Roy Alexis Ralph Lori Bobby Priya Omar Mei Carlos Aisha Luis Fatima"
)

EN_LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
    "Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher "
    "Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno "
    "West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall "
    "Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb "
    "Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
    "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren"
)

# (characters, pinyin) pairs; Chinese contacts store the surname as last_name.
ZH_SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun 马:ma "
    "朱:zhu 胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang 许:xu "
    "韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong 袁:yuan 潘:pan 于:yu 蒋:jiang "
    "蔡:cai 余:yu 杜:du 叶:ye 程:cheng 苏:su 魏:wei 吕:lv 丁:ding 任:ren 沈:shen 姚:yao 卢:lu 姜:jiang "
    "崔:cui 钟:zhong 谭:tan 陆:lu 汪:wang 范:fan 金:jin 石:shi 廖:liao 贾:jia 夏:xia 韦:wei 付:fu 方:fang "
    "白:bai 邹:zou 孟:meng 熊:xiong 秦:qin 邱:qiu 江:jiang 尹:yin 薛:xue 闫:yan 段:duan 雷:lei 侯:hou"
)

ZH_GIVEN_NAMES = _pairs(
    "伟:wei 芳:fang 娜:na 秀英:xiuying 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan "
    "杰:jie 娟:juan 涛:tao 明:ming 超:chao 秀兰:xiulan 霞:xia 平:ping 刚:gang 桂英:guiying 建华:jianhua "
    "志强:zhiqiang 晓东:xiaodong 海燕:haiyan 子涵:zihan 浩然:haoran 欣怡:xinyi 梓萱:zixuan 宇轩:yuxuan "
    "思远:siyuan 佳怡:jiayi 俊杰:junjie 雨桐:yutong 一诺:yinuo 文博:wenbo 婷婷:tingting 鹏:peng 辉:hui "
    "斌:bin 华:hua 红:hong 玲:ling 飞:fei 鑫:xin 波:bo 宁:ning 琳:lin 晨:chen 昊:hao 博:bo 悦:yue "
    "欣:xin 颖:ying 倩:qian 雪:xue 慧:hui 健:jian 凯:kai 峰:feng 旭:xu 宏:hong 嘉怡:jiayi 梦琪:mengqi "
    "子轩:zixuan 诗涵:shihan 晓明:xiaoming 丽华:lihua 国强:guoqiang 春梅:chunmei 志明:zhiming 雅婷:yating"
)

EN_TITLES = (
    "CEO",
    "CFO",
    "CTO",
    "VP of Sales",
    "Head of Operations",
    "Purchasing Manager",
    "Office Manager",
    "IT Director",
    "Marketing Manager",
    "Procurement Specialist",
    "Founder",
    "Account Manager",
    "Operations Analyst",
    "Product Manager",
    "HR Director",
    "Software Engineer",
    "Facilities Manager",
    "Finance Manager",
)
ZH_TITLES = (
    "总经理",
    "财务总监",
    "技术总监",
    "销售副总裁",
    "运营主管",
    "采购经理",
    "行政经理",
    "IT主管",
    "市场经理",
    "采购专员",
    "创始人",
    "客户经理",
    "运营分析师",
    "产品经理",
    "人力资源总监",
    "软件工程师",
    "设施经理",
    "财务经理",
)

# Mobile prefixes in use in China; the subscriber part is 8 more digits.
ZH_MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 176 177 180 181 182 185 186 187 188 189 199"
)

EN_MAIL_PROVIDERS = ("gmail.example", "outlook.example", "yahoo.example", "icloud.example", "proton.example")
ZH_MAIL_PROVIDERS = ("qq.example", "163.example", "126.example", "sina.example", "aliyun.example")

# Source channel codes (ASCII on purpose: segments and models filter on them in any language).
# "discount" contacts came through a coupon site; they churn more (see generate.py).
EN_SOURCES = (
    ("website", 0.24),
    ("referral", 0.14),
    ("trade_show", 0.08),
    ("linkedin", 0.10),
    ("google_ads", 0.13),
    ("discount", 0.12),
    ("partner", 0.08),
    ("cold_call", 0.05),
    ("newsletter", 0.06),
)
ZH_SOURCES = (
    ("website", 0.16),
    ("referral", 0.15),
    ("trade_show", 0.09),
    ("wechat", 0.20),
    ("baidu_ads", 0.10),
    ("discount", 0.12),
    ("partner", 0.08),
    ("cold_call", 0.04),
    ("weibo", 0.06),
)

# --- Companies ------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    en: str
    zh: str
    weight: float  # share of accounts
    value_effect: float  # added to the latent value score of its contacts (generate.py)
    en_words: tuple[str, ...]  # company name cores
    zh_word: str


INDUSTRIES = (
    Industry("Technology", "科技", 0.16, 0.35, ("Software", "Systems", "Analytics", "Labs", "Networks"), "科技"),
    Industry("Financial Services", "金融服务", 0.08, 0.45, ("Capital", "Financial", "Partners"), "投资"),
    Industry("Healthcare", "医疗健康", 0.10, 0.25, ("Health", "Medical", "Care"), "医药"),
    Industry("Manufacturing", "制造业", 0.14, 0.15, ("Industries", "Manufacturing", "Components"), "机械"),
    Industry("Retail", "零售", 0.13, -0.25, ("Stores", "Outfitters", "Market"), "商贸"),
    Industry("Logistics", "物流", 0.08, 0.05, ("Logistics", "Freight", "Shipping"), "物流"),
    Industry("Energy", "能源", 0.05, 0.30, ("Energy", "Power", "Solar"), "能源"),
    Industry("Education", "教育", 0.06, -0.35, ("Learning", "Academy", "Education"), "教育"),
    Industry("Hospitality", "酒店餐饮", 0.07, -0.30, ("Hospitality", "Foods", "Kitchens"), "餐饮"),
    Industry("Media", "传媒", 0.05, -0.05, ("Media", "Studios", "Publishing"), "传媒"),
    Industry("Construction", "建筑", 0.08, 0.10, ("Builders", "Construction", "Engineering"), "建设"),
)

EN_BRAND_FIRST = _words(
    "Blue Silver Golden Iron Red Green North South East West Bright Clear Swift Prime Grand Royal Summit "
    "Pioneer Liberty Eagle Harbor Cedar Maple Oak Pine Granite Crystal Sterling Atlas Apex Vertex Nova "
    "Lunar Solar Coastal Prairie Canyon Ridge Valley River Lake Stone"
)
EN_BRAND_SECOND = _words(
    "Peak Creek Field Bridge Point Gate Rock Wave Star Line Path Crest Hill Forge Works Bay Harbor Wood "
    "Light Stream Spring Haven Port Mill Shore Vista Trail Key Arc Leaf"
)
EN_COMPANY_SUFFIXES = ("Inc.", "LLC", "Group", "Co.", "Corp.", "Partners", "Holdings", "Ltd.")

ZH_BRANDS = _pairs(
    "华信:huaxin 宏达:hongda 鼎盛:dingsheng 恒通:hengtong 瑞丰:ruifeng 金辉:jinhui 天成:tiancheng "
    "永安:yongan 新宇:xinyu 博远:boyuan 中联:zhonglian 东方:dongfang 海纳:haina 远航:yuanhang "
    "腾达:tengda 华润:huarun 盛世:shengshi 嘉禾:jiahe 长城:changcheng 星河:xinghe 汇丰:huifeng "
    "同创:tongchuang 智达:zhida 联合:lianhe 光明:guangming 正大:zhengda 安泰:antai 富民:fumin "
    "锦程:jincheng 万通:wantong 凯旋:kaixuan 兴业:xingye 明珠:mingzhu 云帆:yunfan 德润:derun "
    "鸿运:hongyun 泰和:taihe 立信:lixin 宝丰:baofeng 旭日:xuri"
)
ZH_COMPANY_SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司", "有限责任公司")


@dataclass(frozen=True)
class City:
    name: str
    region: str
    postal_prefix: str
    area_code: str


def _cities(rows: str) -> tuple[City, ...]:
    return tuple(City(*row.split(":")) for row in rows.strip().splitlines())


EN_CITIES = _cities(
    """
New York:NY:100:212
Los Angeles:CA:900:213
Chicago:IL:606:312
Houston:TX:770:713
Phoenix:AZ:850:602
Philadelphia:PA:191:215
San Antonio:TX:782:210
San Diego:CA:921:619
Dallas:TX:752:214
Austin:TX:787:512
Jacksonville:FL:322:904
San Jose:CA:951:408
Columbus:OH:432:614
Charlotte:NC:282:704
Indianapolis:IN:462:317
San Francisco:CA:941:415
Seattle:WA:981:206
Denver:CO:802:303
Boston:MA:021:617
Nashville:TN:372:615
Detroit:MI:482:313
Portland:OR:972:503
Atlanta:GA:303:404
Miami:FL:331:305
Minneapolis:MN:554:612
Raleigh:NC:276:919
Salt Lake City:UT:841:801
Pittsburgh:PA:152:412
Kansas City:MO:641:816
Baltimore:MD:212:410
"""
)
ZH_CITIES = _cities(
    """
上海:上海市:200:21
北京:北京市:100:10
广州:广东省:510:20
深圳:广东省:518:755
杭州:浙江省:310:571
南京:江苏省:210:25
苏州:江苏省:215:512
成都:四川省:610:28
武汉:湖北省:430:27
西安:陕西省:710:29
天津:天津市:300:22
重庆:重庆市:400:23
青岛:山东省:266:532
佛山:广东省:528:757
宁波:浙江省:315:574
长沙:湖南省:410:731
郑州:河南省:450:371
大连:辽宁省:116:411
合肥:安徽省:230:551
昆明:云南省:650:871
"""
)
# City weights: big cities hold more customers.
EN_CITY_WEIGHTS = (9, 7, 6, 5, 4, 4, 3, 3, 4, 4, 2, 3, 2, 3, 2, 5, 4, 3, 4, 2, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1)
ZH_CITY_WEIGHTS = (10, 9, 7, 7, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1)

EN_STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Park Ave",
    "Washington Blvd",
    "Lake St",
    "Hill Rd",
    "Market St",
    "Broadway",
    "Elm St",
    "Pine St",
    "Cedar Ln",
    "Sunset Blvd",
    "River Rd",
    "Commerce Dr",
    "Industrial Pkwy",
    "1st Ave",
    "2nd St",
    "Madison Ave",
    "Franklin St",
)
ZH_STREETS = (
    "南京西路",
    "淮海中路",
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "长安街",
    "科技园路",
    "滨江大道",
    "世纪大道",
    "延安路",
    "和平路",
    "黄河路",
    "东风路",
    "新华路",
    "天府大道",
)


# --- Interactions --------------------------------------------------------------------
# Placeholders: {name} (how the contact is addressed: first name in English, full name in
# Chinese), {company} (their account, or a generic phrase for individuals) and {rep} (the
# user who logged the interaction).


@dataclass(frozen=True)
class InteractionTemplates:
    kind: str
    direction: str
    weight: float  # share of all interactions
    messages: tuple[tuple[str, str], ...]  # (subject, body), picked uniformly
    # (outcome, min seconds, max seconds), picked uniformly; -1 seconds: no duration.
    outcomes: tuple[tuple[str, int, int], ...] = (("", -1, -1),)


_CALL_OUTCOMES = (("connected", 120, 1800), ("connected", 60, 900), ("left_voicemail", 20, 60), ("no_answer", 0, 0))
_ZH_CALL_OUTCOMES = (("已接通", 120, 1800), ("已接通", 60, 900), ("留言", 20, 60), ("无人接听", 0, 0))
_MEETING_OUTCOMES = (("completed", 1800, 5400), ("completed", 1800, 3600), ("rescheduled", -1, -1))
_ZH_MEETING_OUTCOMES = (("已完成", 1800, 5400), ("已完成", 1800, 3600), ("已改期", -1, -1))

EN_INTERACTIONS = (
    InteractionTemplates(
        "call",
        "outbound",
        0.17,
        (
            ("Intro call with {name}", "Spoke with {name} about how {company} orders today. Sending a proposal."),
            ("Follow-up call", "{name} asked about volume discounts; promised a quote by Friday."),
            ("Renewal check-in", "Walked {name} through the new pricing. They will discuss it internally."),
            ("Quarterly business review", "{name} is happy with the last order and expects to reorder next month."),
        ),
        _CALL_OUTCOMES,
    ),
    InteractionTemplates(
        "call",
        "inbound",
        0.08,
        (
            ("Delivery question", "{name} called about a late delivery; offered a goodwill credit."),
            ("Invoice question", "{name} called about an open invoice; resent it to finance at {company}."),
            ("Product question", "{name} asked whether the new line fits their setup. Sent specs."),
        ),
        (("connected", 60, 1200),),
    ),
    InteractionTemplates(
        "email",
        "outbound",
        0.25,
        (
            ("Your quote from {rep}", "Hi {name}, here is the quote we discussed. Happy to adjust. Best, {rep}"),
            ("Your order is confirmed", "Hi {name}, thanks for your order. It ships this week. Best, {rep}"),
            ("Following up on our call", "Hi {name}, following up on our call: next steps attached. Best, {rep}"),
            ("New products for {company}", "Hi {name}, our new line fits what {company} ordered last quarter."),
        ),
        (("sent", -1, -1), ("opened", -1, -1), ("opened", -1, -1), ("clicked", -1, -1)),
    ),
    InteractionTemplates(
        "email",
        "inbound",
        0.10,
        (
            ("Invoice copy", "Hi {rep}, could you resend last month's invoice? Thanks, {name}"),
            ("Re: your quote", "Hi {rep}, thanks for the quote. Can you do 5% better on 200 units? {name}"),
            ("Delivery address", "Hi {rep}, please ship the next order to our new warehouse. {name}"),
        ),
        (("received", -1, -1),),
    ),
    InteractionTemplates(
        "meeting",
        "outbound",
        0.10,
        (
            ("Product demo for {company}", "Demoed the platform to {name} and two colleagues. Next step: trial."),
            ("On-site visit", "Visited {company}; toured the warehouse and met the purchasing team."),
            ("Contract negotiation", "Negotiated payment terms with {name}; agreed on net 30."),
            ("Annual account review", "Reviewed the year with {name}: spend is up, they want faster delivery."),
        ),
        _MEETING_OUTCOMES,
    ),
    InteractionTemplates(
        "note",
        "internal",
        0.12,
        (
            ("Account note", "{name} prefers email over phone. Decision maker at {company}."),
            ("Call prep", "Budget cycle starts in Q3; reach out to {name} in June."),
            ("Handover note", "Handed over by {rep}: key contact, price sensitive, values quick delivery."),
            ("Credit check", "Credit check for {company} passed. Standard terms apply."),
        ),
    ),
    InteractionTemplates(
        "sms",
        "outbound",
        0.07,
        (
            ("Delivery update", "Hi {name}, your order is out for delivery today."),
            ("Appointment reminder", "Hi {name}, reminder: your meeting with {rep} is tomorrow at 10am."),
        ),
        (("delivered", -1, -1), ("delivered", -1, -1), ("failed", -1, -1)),
    ),
    InteractionTemplates(
        "sms",
        "inbound",
        0.03,
        (("Order question", "Can you confirm the delivery address for the next order? {name}"),),
        (("received", -1, -1),),
    ),
    InteractionTemplates(
        "social",
        "inbound",
        0.05,
        (
            ("LinkedIn message", "{name} asked whether we ship internationally."),
            ("Comment on our post", "{name} shared our case study and tagged {company}."),
        ),
        (("replied", -1, -1), ("", -1, -1)),
    ),
    InteractionTemplates(
        "social",
        "outbound",
        0.03,
        (("Direct message", "Replied to {name}'s question about lead times."),),
    ),
)

ZH_INTERACTIONS = (
    InteractionTemplates(
        "call",
        "outbound",
        0.15,
        (
            ("与{name}的初次通话", "与{name}沟通了{company}目前的采购流程，约定发送方案。"),
            ("电话回访", "{name}询问批量折扣，承诺周五前报价。"),
            ("续约沟通", "向{name}介绍了新的价格体系，对方将内部讨论。"),
            ("季度业务回顾", "{name}对上次订单很满意，预计下个月复购。"),
        ),
        _ZH_CALL_OUTCOMES,
    ),
    InteractionTemplates(
        "call",
        "inbound",
        0.07,
        (
            ("物流咨询", "{name}来电询问发货延迟，已提供补偿优惠券。"),
            ("发票咨询", "{name}来电询问未结发票，已重新发送给{company}财务。"),
        ),
        (("已接通", 60, 1200),),
    ),
    InteractionTemplates(
        "email",
        "outbound",
        0.17,
        (
            ("{rep}为您准备的报价", "{name}您好，附上我们讨论的报价，数量可以调整。{rep}"),
            ("订单确认", "{name}您好，感谢您的订单，本周发货，物流单号稍后发送。{rep}"),
            ("{company}适用的新产品", "{name}您好，我们新推出的产品线很适合{company}上季度的采购需求。"),
        ),
        (("已发送", -1, -1), ("已打开", -1, -1), ("已打开", -1, -1), ("已点击", -1, -1)),
    ),
    InteractionTemplates(
        "email",
        "inbound",
        0.08,
        (
            ("发票补发", "{rep}您好，能否重新发送上个月的发票？{name}"),
            ("回复：报价", "{rep}您好，报价已收到，200件能否再优惠5%？{name}"),
        ),
        (("已收到", -1, -1),),
    ),
    InteractionTemplates(
        "meeting",
        "outbound",
        0.10,
        (
            ("{company}产品演示", "为{name}及两位同事演示了系统，下一步安排试用。"),
            ("上门拜访", "拜访了{company}，参观仓库并与采购团队见面。"),
            ("合同谈判", "与{name}谈判付款条件，约定30天账期。"),
            ("年度客户回顾", "与{name}回顾全年合作：采购额增长，希望缩短交付周期。"),
        ),
        _ZH_MEETING_OUTCOMES,
    ),
    InteractionTemplates(
        "note",
        "internal",
        0.10,
        (
            ("客户备注", "{name}更喜欢微信沟通，是{company}的决策人。"),
            ("通话准备", "预算周期从第三季度开始，六月份跟进{name}。"),
            ("交接说明", "由{rep}交接：关键联系人，对价格敏感，重视交付速度。"),
            ("信用审核", "{company}信用审核通过，适用标准条款。"),
        ),
    ),
    InteractionTemplates(
        "sms",
        "outbound",
        0.10,
        (
            ("发货通知", "{name}您好，您的订单今天派送。"),
            ("会议提醒", "{name}您好，提醒您明天上午10点与{rep}的会议。"),
        ),
        (("已送达", -1, -1), ("已送达", -1, -1), ("发送失败", -1, -1)),
    ),
    InteractionTemplates(
        "sms",
        "inbound",
        0.03,
        (("订单咨询", "请确认下一批订单的收货地址。{name}"),),
        (("已收到", -1, -1),),
    ),
    InteractionTemplates(
        "social",
        "inbound",
        0.14,
        (
            ("微信消息", "{name}在微信上询问是否支持开增值税发票。"),
            ("微博评论", "{name}转发了我们的案例并提到了{company}。"),
        ),
        (("已回复", -1, -1), ("", -1, -1)),
    ),
    InteractionTemplates(
        "social",
        "outbound",
        0.06,
        (("企业微信消息", "回复了{name}关于交货周期的问题。"),),
    ),
)

EN_NO_COMPANY = "your team"
ZH_NO_COMPANY = "贵公司"
