"""Demo customers for a machine-tool seller in Shandong and Jiangsu.

Deterministic (a fixed random seed), so a second run finds every customer by
name and creates nothing. A few deliberate near-duplicates (other legal form,
full-width brackets, traditional characters) exist for the duplicate check.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, User

from . import reasons
from .models import (
    Attitude,
    BuyingRole,
    CommunicationStyle,
    Contact,
    Customer,
    GradeChange,
    GradeRule,
    Industry,
    Influence,
    RelationshipLevel,
    Source,
    Status,
)
from .validators import CREDIT_CODE_ALPHABET, credit_code_complete

CITIES = {
    "山东": ["青岛", "潍坊", "济南", "烟台", "淄博", "威海", "临沂"],
    "江苏": ["苏州", "无锡", "常州"],
}
CITY_PINYIN = {
    "青岛": "Qingdao", "潍坊": "Weifang", "济南": "Jinan", "烟台": "Yantai", "淄博": "Zibo", "威海": "Weihai",
    "临沂": "Linyi", "苏州": "Suzhou", "无锡": "Wuxi", "常州": "Changzhou",
}  # fmt: skip
BRANDS = [
    "杰航", "恒锐", "鼎力", "华精", "远航", "金鹰", "瑞丰", "宏达", "天工", "博锐", "正阳", "德隆", "海川", "启明",
    "凯盛", "巨能", "万向", "东岳", "鲁中", "新锐", "精诚", "盛世", "铭泰", "浩宇", "利群", "永信", "隆基", "通宇",
]  # fmt: skip
TRADES = [
    ("机械", Industry.MACHINERY), ("精密机械", Industry.MACHINERY), ("汽车零部件", Industry.AUTOMOTIVE),
    ("模具", Industry.MOLD), ("航空部件", Industry.AEROSPACE), ("电子", Industry.ELECTRONICS),
    ("医疗器械", Industry.MEDICAL), ("动力设备", Industry.ENERGY), ("轨道装备", Industry.RAIL),
]  # fmt: skip
LEGAL_FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "志强", "秀英", "海涛", "丽娟", "国栋", "明", "静", "磊", "伟", "婷", "军", "红梅", "立新"]
TITLES = {
    BuyingRole.DECISION_MAKER: [("总经理", "总经办"), ("副总经理", "总经办"), ("董事长", "董事会")],
    BuyingRole.TECHNICAL: [("技术部长", "技术部"), ("设备科长", "设备部"), ("工艺主管", "工艺部")],
    BuyingRole.USER: [("车间主任", "生产部"), ("班组长", "机加车间"), ("生产经理", "生产部")],
    BuyingRole.COACH: [("采购专员", "采购部"), ("总经理助理", "总经办"), ("设备员", "设备部")],
    BuyingRole.OTHER: [("财务经理", "财务部"), ("行政主管", "行政部")],
}
CUSTOMER_COUNT = 300

# Near-duplicates of generated names, as reps really type them.
NEAR_DUPLICATES = [
    ("青岛杰航机械有限公司", "青岛杰航机械有限责任公司"),
    ("潍坊恒锐精密机械有限公司", "潍坊恒锐精密机械（有限公司）"),
    ("济南鼎力模具有限公司", "濟南鼎力模具有限公司"),
    ("烟台华精汽车零部件股份有限公司", "烟台 华精汽车零部件 有限公司"),
]


def make_credit_code(rng):
    """A company's code (authority 9, kind 1) registered in Shandong, valid in every part."""
    return credit_code_complete(
        "9137"
        + "".join(rng.choice("0123456789") for _ in range(4))
        + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(8))
    )


def make_name(rng, index):
    province = "江苏" if index % 7 == 0 else "山东"
    city = rng.choice(CITIES[province])
    brand = BRANDS[index % len(BRANDS)]
    trade, industry = TRADES[(index // len(BRANDS)) % len(TRADES)]
    return province, city, f"{city}{brand}{trade}{rng.choice(LEGAL_FORMS)}", industry


def pick_amount(rng):
    band = rng.random()
    if band < 0.15:
        return Decimal(rng.randrange(1_000_000, 8_000_000, 50_000))
    if band < 0.5:
        return Decimal(rng.randrange(300_000, 1_000_000, 10_000))
    if band < 0.9:
        return Decimal(rng.randrange(20_000, 300_000, 5_000))
    return None


def make_contacts(rng, customer, index):
    roles = [
        BuyingRole.DECISION_MAKER,
        BuyingRole.TECHNICAL,
        BuyingRole.USER,
        BuyingRole.COACH,
        BuyingRole.OTHER,
    ]
    # Most customers miss someone: the card's coverage warning has something to say.
    count = 1 + index % 4
    chosen = rng.sample(roles, count)
    contacts = []
    for position, role in enumerate(chosen):
        title, department = rng.choice(TITLES[role])
        contacts.append(
            Contact(
                customer=customer,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                title=title,
                department=department,
                phones=f"13{rng.randrange(100000000, 999999999)}",
                wechat=f"wx_{rng.randrange(10000, 99999)}",
                buying_role=role,
                attitude=rng.choice(Attitude.values),
                influence=rng.choice(Influence.values),
                communication_style=rng.choice(CommunicationStyle.values),
                is_primary=position == 0,
            )
        )
    return contacts


def seed(stdout):
    rng = random.Random(20261123)  # noqa: S311 - demo data, not security
    reps = list(User.objects.filter(role=Role.REP, username__startswith="rep").order_by("username"))
    policy = GradeRule.policy()
    existing = set(Customer.objects.values_list("name", flat=True))
    created = 0
    customers = []
    names, seen = [], set()
    for index in range(CUSTOMER_COUNT):
        name = make_name(rng, index)
        while name[2] in seen:  # the same city, brand and trade can come up twice: draw again
            name = make_name(rng, index)
        seen.add(name[2])
        names.append(name)
    names += [(names[0][0], names[0][1], variant, names[0][3]) for _original, variant in NEAR_DUPLICATES]
    for index, (province, city, name, industry) in enumerate(names):
        if name in existing:
            continue
        existing.add(name)
        amount = pick_amount(rng)
        owner = None if index % 7 == 3 or not reps else reps[index % len(reps)]  # one in seven in the pool
        created_at = timezone.now() - datetime.timedelta(days=rng.randrange(5, 700), hours=rng.randrange(0, 10))
        customer = Customer(
            name=name,
            credit_code=make_credit_code(rng) if index % 3 else "",
            industry=industry,
            region=f"{province}省",
            city=f"{city}市",
            address=f"{city}市{rng.choice(['高新区', '经济开发区', '城阳区', '奎文区', '历城区'])}"
            f"{rng.choice(['工业', '创业', '科技', '滨海'])}路{rng.randrange(1, 300)}号",
            phones=f"0{rng.choice(['532', '536', '531', '535', '533'])}-{rng.randrange(80000000, 89999999)}",
            website=f"https://www.{CITY_PINYIN[city].lower()}{index}.example.cn",
            source=rng.choice(Source.values),
            annual_purchases=amount,
            share_of_wallet=rng.choice([None, 5, 10, 20, 35, 50, 60, 80]),
            relationship_level=rng.choice(RelationshipLevel.values),
            status=rng.choice([Status.PROSPECT, Status.PROSPECT, Status.ACTIVE, Status.ACTIVE, Status.DORMANT]),
            is_strategic=rng.random() < 0.04,
            is_high_growth=rng.random() < 0.06,
            man_money=rng.random() < 0.7,
            man_authority=rng.random() < 0.5,
            man_need=rng.random() < 0.75,
            owner=owner,
            created_by=owner,
            created_at=created_at,
        )
        customer.grade = customer.suggested_grade(policy)
        customer.last_contact_on = timezone.localdate() - datetime.timedelta(days=rng.randrange(1, 60))
        customer.schedule_from_cadence(policy)
        customer.save()
        customers.append(customer)
        created += 1
    Contact.objects.bulk_create([c for i, customer in enumerate(customers) for c in make_contacts(rng, customer, i)])
    GradeChange.objects.bulk_create(
        [
            GradeChange(
                customer=customer,
                changed_by=customer.created_by,
                changed_at=customer.created_at,
                to_grade=customer.grade,
                reason_code=reasons.GRADE_REGISTERED,
            )
            for customer in customers
        ]
    )
    stdout.write(f"Demo customers: {created} created, {len(names) - created} already there.")
