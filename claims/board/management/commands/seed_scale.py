"""Fill the database with a large, believable data set for speed checks.

    manage.py seed_scale --customers 100000 [--reps 200 --teams 20 --contacts 3 --visits 1000000 --seed 1 --force]

Runs in phases (see PHASES), all in one transaction, each printing its rows per second. Everything
generated hangs off users named `scale-…`: a customer is generated when such a user registered it.
A new run first removes what the previous one made, and refuses to start when the database holds
other customers, unless --force (they are then left alone).

Derived fields are filled as the services fill them, but in bulk: the name keys with crm.normalize,
the grade from purchases and flags with its registration history, phone rows, and each customer's
last contact and next follow-up from its latest (on-site) visit and the grade cadence.
"""

import datetime
import io
import random
import time
from array import array
from collections import Counter
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, reset_queries, transaction
from django.db.models import Case, DateField, ExpressionWrapper, Value, When
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.functions import Coalesce, Mod, TruncDate
from django.utils import timezone

from accounts.append_only import row_guard_lifted
from accounts.models import Role, Team, User
from claims.models import ArbiterReason, Claim, Dispute, DisputeKind, EventKind, OwnershipEvent, OwnershipPolicy
from crm import reasons
from crm.complaints.models import Category, Complaint, ComplaintEvent, ResponseDeadline, Severity, State
from crm.models import (
    Attitude,
    BuyingRole,
    CommunicationStyle,
    Contact,
    Customer,
    CustomerPhone,
    Grade,
    GradeChange,
    GradeRule,
    Industry,
    Influence,
    PoolReason,
    RelationshipLevel,
    Source,
    Status,
)
from crm.normalize import normalize_name, pinyin_keys, split_phones
from crm.sql import insert_from_select
from crm.validators import CREDIT_CODE_ALPHABET, credit_code_complete
from visits.models import LATE_AFTER, Method, Objection, ObjectionKind, ReminderKind, Visit
from visits.services import CLOSES

PREFIX = "scale-"
PASSWORD = "scale12345"
BATCH = 5000
PHASES = ["clear", "people", "customers", "contacts", "visits", "ownership", "complaints"]

# (province, city, area code, first four digits of the credit code's region code)
CITIES = [
    ("山东省", "青岛", "0532", "3702"), ("山东省", "济南", "0531", "3701"), ("山东省", "潍坊", "0536", "3707"),
    ("山东省", "烟台", "0535", "3706"), ("山东省", "淄博", "0533", "3703"), ("江苏省", "苏州", "0512", "3205"),
    ("江苏省", "无锡", "0510", "3202"), ("江苏省", "常州", "0519", "3204"), ("江苏省", "南京", "025", "3201"),
    ("浙江省", "宁波", "0574", "3302"), ("浙江省", "台州", "0576", "3310"), ("浙江省", "温州", "0577", "3303"),
    ("广东省", "东莞", "0769", "4419"), ("广东省", "佛山", "0757", "4406"), ("广东省", "深圳", "0755", "4403"),
    ("天津市", "天津", "022", "1201"), ("辽宁省", "大连", "0411", "2102"), ("辽宁省", "沈阳", "024", "2101"),
    ("陕西省", "西安", "029", "6101"), ("四川省", "成都", "028", "5101"), ("重庆市", "重庆", "023", "5001"),
    ("湖北省", "武汉", "027", "4201"), ("湖南省", "株洲", "0731", "4302"), ("河南省", "洛阳", "0379", "4103"),
    ("安徽省", "合肥", "0551", "3401"), ("福建省", "厦门", "0592", "3502"), ("河北省", "保定", "0312", "1306"),
]  # fmt: skip
BRAND_FIRST = "恒鼎华远金瑞宏天博正德海启凯巨万东新精盛铭浩永隆通振兴宇科嘉"
BRAND_SECOND = "力锐航精达丰工明盛能信泰基宇诚通创邦鑫源晟越川锋尚联威翔佳辉"
TRADES = [
    ("机械", Industry.MACHINERY), ("精密机械", Industry.MACHINERY), ("重工", Industry.MACHINERY),
    ("数控设备", Industry.MACHINERY), ("汽车零部件", Industry.AUTOMOTIVE), ("汽车配件", Industry.AUTOMOTIVE),
    ("车桥", Industry.AUTOMOTIVE), ("模具", Industry.MOLD), ("精密模具", Industry.MOLD),
    ("航空部件", Industry.AEROSPACE), ("航空科技", Industry.AEROSPACE), ("电子", Industry.ELECTRONICS),
    ("电子科技", Industry.ELECTRONICS), ("医疗器械", Industry.MEDICAL), ("医疗设备", Industry.MEDICAL),
    ("动力设备", Industry.ENERGY), ("电力设备", Industry.ENERGY), ("轨道装备", Industry.RAIL),
    ("轨道交通设备", Industry.RAIL), ("五金", Industry.OTHER), ("工贸", Industry.OTHER),
]  # fmt: skip
LEGAL_FORMS = ["有限公司"] * 7 + ["股份有限公司", "有限责任公司", "集团有限公司"]
DISTRICTS = ["高新区", "经济开发区", "工业园区", "保税区", "滨海新区"]
ROADS = ["工业", "创业", "科技", "滨海", "长江", "黄河", "泰山", "汇智"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = ["建华", "志强", "秀英", "海涛", "丽娟", "国栋", "明", "静", "磊", "伟", "婷", "军", "红梅", "立新", "晓东",
         "文斌", "玉兰", "鹏", "勇", "超", "春生", "建国", "海燕", "振宇", "思远", "佳怡", "子涵", "国强"]  # fmt: skip
TITLES = {
    BuyingRole.DECISION_MAKER: [("总经理", "总经办"), ("副总经理", "总经办"), ("董事长", "董事会")],
    BuyingRole.TECHNICAL: [("技术部长", "技术部"), ("设备科长", "设备部"), ("工艺主管", "工艺部")],
    BuyingRole.USER: [("车间主任", "生产部"), ("班组长", "机加车间"), ("生产经理", "生产部")],
    BuyingRole.COACH: [("采购专员", "采购部"), ("总经理助理", "总经办"), ("设备员", "设备部")],
    BuyingRole.OTHER: [("财务经理", "财务部"), ("行政主管", "行政部")],
}

GRADE_SHARES = [(Grade.A, 0.15), (Grade.B, 0.35), (Grade.C, 0.50)]
STATUS_SHARES = [(Status.ACTIVE, 0.40), (Status.PROSPECT, 0.30), (Status.DORMANT, 0.20), (Status.LOST, 0.10)]
POOL_SHARE = 0.10
OVERRIDE_SHARE = 0.02
# How many visits a customer gets, relative to others: A most, lost customers few.
VISIT_WEIGHT = {Grade.A: 3.0, Grade.B: 1.5, Grade.C: 0.7}
STATUS_VISIT_WEIGHT = {Status.ACTIVE: 1.2, Status.PROSPECT: 0.8, Status.DORMANT: 0.6, Status.LOST: 0.3}
METHODS = [Method.ONSITE, Method.PHONE, Method.WECHAT, Method.EMAIL, Method.VIDEO, Method.EXHIBITION, Method.SHOWROOM]
METHOD_WEIGHTS = [30, 35, 15, 8, 5, 3, 4]
ONSITE_METHODS = CLOSES[ReminderKind.ONSITE]  # the visits that reset an on-site rule
MINUTES = {Method.ONSITE: (45, 180), Method.EXHIBITION: (20, 90), Method.SHOWROOM: (60, 240)}  # others: 5-40 min
HISTORY_DAYS = 730  # visits spread over the last two years
LATE_SHARE = 0.07
OBJECTION_SHARE = 0.04
MACHINES = ["五轴加工中心", "立式加工中心", "卧式加工中心", "数控车床", "龙门铣", "平面磨床", "车铣复合机", "刀具"]
PURPOSES = ["介绍新机型", "了解设备更新计划", "报价跟进", "技术交流", "售后回访", "试切安排", "合同条款沟通"]
DISCUSSIONS = [
    "客户对{m}感兴趣，关注加工精度和交期。",
    "与设备部讨论{m}的产能需求，客户计划明年扩产。",
    "客户反馈现有{m}故障率高，考虑替换。",
    "演示了{m}的加工样件，客户技术部评价较好。",
    "客户预算紧张，{m}采购推迟到下季度。",
    "确认了{m}的技术参数，等待客户内部审批。",
]
COMPLAINTS = [
    "机床到货延期两周，影响客户交付",
    "主轴异响，停机三天",
    "安装调试人员迟到",
    "发票信息错误",
    "售后电话无人接听",
]
MEASURES = ["提前24小时向客户预警物流天气风险", "增加备用物流供应商", "售后热线增设夜班", "开票前双人复核"]
NEXT_STEPS = ["发送报价单", "安排技术交流", "邀请来展厅参观", "提交试切方案", "跟进审批进度", "寄送样件"]
OBJECTIONS = {
    ObjectionKind.PRICE: ["价格比同行高", "预算不够"],
    ObjectionKind.CAPABILITY: ["担心精度达不到要求", "交期太长"],
    ObjectionKind.EXCUSE: ["现在很忙，以后再说"],
    ObjectionKind.REAL: ["老设备还能用"],
    ObjectionKind.HIDDEN: ["已有长期合作的供应商"],
}


def pick(rng, shares):
    """One value from [(value, share), …]."""
    roll = rng.random()
    for value, share in shares:
        roll -= share
        if roll < 0:
            return value
    return shares[-1][0]


def person_name(rng):
    return rng.choice(SURNAMES), rng.choice(GIVEN)


def delete_generated(queryset):
    """DELETE the rows of `queryset` and all that cascades from them, in SQL: no row is loaded into Python.

    Model.delete() would fetch each of a million visits to follow their relations. This follows the
    same relations by model metadata instead; PROTECT is left to the database's foreign keys.
    """
    deleted = 0
    for relation in get_candidate_relations_to_delete(queryset.model._meta):
        related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": queryset})
        if relation.on_delete is models.CASCADE:
            deleted += delete_generated(related)
        elif relation.on_delete is models.SET_NULL:
            related.update(**{relation.field.name: None})
    return deleted + queryset._raw_delete(queryset.db)  # the DELETE that Django's own fast path issues


def copy_text(value):
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)  # numbers, dates, aware datetimes (with their offset)


def copy_insert(model, objects):
    """bulk_create() for PostgreSQL through COPY, several times faster; gives the objects their pks too.

    The pks come from the table's own sequence first, so they are taken as an INSERT would take them.
    Field values are read as bulk_create reads them (pre_save fills auto_now), without its conversions:
    enough for the plain columns generated here (no JSON, no custom fields).
    """
    if not objects:
        return
    meta = model._meta
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        data = io.StringIO()
        for obj in objects:
            data.write("\t".join([copy_text(field.pre_save(obj, True)) for field in fields]))
            data.write("\n")
        data.seek(0)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", data)


class OwnershipAndComplaints:
    """The later phases: claims and history as the services would have left them, disputes, complaints."""

    # --- ownership -------------------------------------------------------------------------------------

    def ownership(self):
        """A claim per owned customer counted from its last contact, pool reasons, and some open collisions."""
        generated = Customer.objects.filter(created_by__username__startswith=PREFIX)
        policy = OwnershipPolicy.current()
        start = Coalesce("last_contact_on", TruncDate("created_at"))

        def until(days):
            return ExpressionWrapper(start + datetime.timedelta(days=days), output_field=DateField())

        owned = generated.filter(owner__isnull=False).annotate(
            c_start=ExpressionWrapper(start, output_field=DateField()),
            c_until=Case(
                When(status=Status.ACTIVE, then=until(policy.active_protection_days)),
                default=until(policy.prospect_protection_days),
            ),
            c_share=Value(100),
            c_blank=Value(""),
        )
        claims = insert_from_select(
            Claim,
            ["customer", "holder", "started_at", "renewed_on", "protected_until", "holder_share", "end_reason"],
            owned.values_list("pk", "owner", "created_at", "c_start", "c_until", "c_share", "c_blank"),
        )
        events = insert_from_select(
            OwnershipEvent,
            ["customer", "claim", "kind", "at", "actor", "to_user", "protected_until", "reason"],
            Claim.objects.filter(customer__in=generated)
            .annotate(e_kind=Value(EventKind.REGISTERED), e_reason=Value(""))
            .values_list("customer", "pk", "e_kind", "started_at", "holder", "holder", "protected_until", "e_reason"),
        )
        reasons = [PoolReason.LAPSED, PoolReason.RELEASED, PoolReason.IMPORTED, PoolReason.DEPARTED]
        pool = generated.filter(owner__isnull=True).annotate(bucket=Mod("pk", len(reasons)))
        for bucket, reason in enumerate(reasons):
            pool.filter(bucket=bucket).update(
                pool_reason=reason, pool_since=self.now - datetime.timedelta(days=2 + 5 * bucket)
            )
        disputes = []
        owned_ids = list(owned.values_list("pk", "owner"))
        for customer_id, holder_id in self.rng.sample(owned_ids, min(len(owned_ids), len(owned_ids) // 300 + 1)):
            challenger_id = self.rng.choice(self.rep_ids)
            if challenger_id == holder_id:
                continue
            same_team = self.team_of[challenger_id] == self.team_of[holder_id]
            disputes.append(
                Dispute(
                    customer_id=customer_id,
                    kind=DisputeKind.COLLISION,
                    holder_id=holder_id,
                    challenger_id=challenger_id,
                    opened_by_id=challenger_id,
                    statement="同一家公司再次登记",
                    team_id=self.team_of[holder_id] if same_team else None,
                    arbiter_reason=ArbiterReason.TEAM if same_team else ArbiterReason.ACROSS_TEAMS,
                    opened_at=self.now - datetime.timedelta(days=self.rng.randint(0, 20)),
                )  # fmt: skip
            )
        return {"claims": claims, "history": events, "disputes": self.insert(Dispute, disputes)}

    # --- complaints ------------------------------------------------------------------------------------

    def complaints(self):
        """About one complaint per five customers over two years, most closed, a few open and overdue."""
        rng = self.rng
        hours = ResponseDeadline.hours()
        states = [(State.CLOSED, 0.6), (State.RESOLVED, 0.1), (State.INVESTIGATING, 0.1), (State.OPEN, 0.2)]
        complaints = []
        for customer_id, author_id, _visits in rng.sample(self.generated, len(self.generated) // 5):
            state = pick(rng, states)
            severity = rng.choice(Severity.values)
            days_ago = rng.randint(0, 5) if state == State.OPEN else rng.randint(6, HISTORY_DAYS)
            received_at = self.now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 23))
            done = state in (State.RESOLVED, State.CLOSED)
            complaints.append(
                Complaint(
                    customer_id=customer_id,
                    received_at=received_at,
                    complainant_name="".join(person_name(rng)),
                    phone=f"13{rng.randrange(100000000, 999999999)}",
                    description=rng.choice(COMPLAINTS),
                    reference=f"SO-{rng.randrange(100000, 999999)}",
                    category=rng.choice(Category.values),
                    severity=severity,
                    root_cause="物流商调度失误" if done else "",
                    resolution_actions="加急补发，承担运费" if done else "",
                    customer_response="客户接受处理结果" if state == State.CLOSED else "",
                    improvement_measures=rng.choice(MEASURES) if done and rng.random() < 0.5 else "",
                    assignee_id=author_id,
                    state=state,
                    respond_by=received_at + datetime.timedelta(hours=hours[severity]),
                    responded_at=None if state == State.OPEN else received_at + datetime.timedelta(hours=2),
                    created_by_id=author_id,
                    created_at=received_at,
                )  # fmt: skip
            )
        self.insert(Complaint, complaints)
        steps = [
            ComplaintEvent(complaint_id=c.pk, from_state="", to_state=State.OPEN, actor_id=c.created_by_id,
                           at=c.received_at) for c in complaints
        ] + [
            ComplaintEvent(complaint_id=c.pk, from_state=State.OPEN, to_state=c.state, actor_id=c.assignee_id,
                           at=c.responded_at) for c in complaints if c.state != State.OPEN
        ]  # fmt: skip
        return {"complaints": len(complaints), "complaint steps": self.insert(ComplaintEvent, steps)}


class Generator(OwnershipAndComplaints):
    """The phases, in order; each returns {what: rows written} and leaves what later phases need."""

    def __init__(self, *, customers, reps, teams, contacts, visits, seed):
        self.rng = random.Random(seed)  # noqa: S311 - test data, not security
        self.counts = {"customers": customers, "reps": reps, "teams": teams, "contacts": contacts, "visits": visits}
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.tz = timezone.get_current_timezone()
        self.policy = GradeRule.policy()

    def insert(self, model, objects):
        if connection.vendor == "postgresql":
            copy_insert(model, objects)
        else:
            model.objects.bulk_create(objects, batch_size=BATCH)
            reset_queries()  # with DEBUG on, Django keeps every statement: megabytes per batch
        return len(objects)

    # --- clear -----------------------------------------------------------------------------------------

    def clear(self):
        users = User.objects.filter(username__startswith=PREFIX)
        team_ids = set(users.exclude(team=None).values_list("team", flat=True))
        customers = Customer.objects.filter(created_by__in=users)
        rows = self.clear_ownership(customers)
        rows += delete_generated(Complaint.objects.filter(customer__in=customers))
        rows += delete_generated(customers)
        user_rows, _ = users.delete()
        team_rows, _ = Team.objects.filter(pk__in=team_ids).delete()
        return {"rows removed": rows + user_rows + team_rows}

    def clear_ownership(self, customers):
        """Ownership history is append-only, by a trigger: lifted inside this transaction for generated rows only."""
        with row_guard_lifted(connection, OwnershipEvent._meta.db_table):
            rows = OwnershipEvent.objects.filter(customer__in=customers)._raw_delete(connection.alias)
        rows += Dispute.objects.filter(customer__in=customers)._raw_delete(connection.alias)
        return rows + Claim.objects.filter(customer__in=customers)._raw_delete(connection.alias)

    # --- people ----------------------------------------------------------------------------------------

    def people(self):
        rng = self.rng
        password = make_password(PASSWORD)  # hashing is slow: once for everyone
        cities = rng.sample(CITIES, min(len(CITIES), self.counts["teams"]))
        teams = [
            Team(name=f"{cities[i % len(cities)][1]}销售{i // len(cities) + 1}组") for i in range(self.counts["teams"])
        ]
        self.insert(Team, teams)

        def user(username, role, team=None):
            last_name, first_name = person_name(rng)
            is_admin = role == Role.ADMIN  # as User.save, which bulk_create skips
            return User(
                username=f"{PREFIX}{username}",
                password=password,
                last_name=last_name,
                first_name=first_name,
                email=f"{PREFIX}{username}@example.com",
                role=role,
                team=team,
                is_staff=is_admin,
                is_superuser=is_admin,
                phone=f"13{rng.randrange(100000000, 999999999)}",
            )

        managers = [user(f"mgr-{i + 1:03d}", Role.MANAGER, team) for i, team in enumerate(teams)]
        reps = [user(f"rep-{i + 1:04d}", Role.REP, teams[i % len(teams)]) for i in range(self.counts["reps"])]
        self.insert(User, [user("admin", Role.ADMIN), *managers, *reps])
        for team, manager in zip(teams, managers, strict=True):
            team.manager = manager
        Team.objects.bulk_update(teams, ["manager"])
        self.rep_ids = [rep.pk for rep in reps]
        self.team_of = {rep.pk: rep.team_id for rep in reps}
        self.manager_of = {rep.pk: managers[i % len(managers)].pk for i, rep in enumerate(reps)}
        return {"teams": len(teams), "users": 1 + len(managers) + len(reps)}

    # --- customers -------------------------------------------------------------------------------------

    def customers(self):
        """Customers with phone rows and grade history; each also gets its plan of visit days and methods."""
        rng = self.rng
        total = self.counts["customers"]
        profiles = [(pick(rng, GRADE_SHARES), pick(rng, STATUS_SHARES)) for _ in range(total)]
        weights = [VISIT_WEIGHT[grade] * STATUS_VISIT_WEIGHT[status] for grade, status in profiles]
        visit_counts = Counter(rng.choices(range(total), weights=weights, k=self.counts["visits"]) if total else [])
        # The visit plan, compactly: days ago and method index of every visit, customer after customer.
        self.plan_days, self.plan_methods = array("H"), array("B")
        self.generated = []  # (pk, visit author, number of visits), in plan order
        names, codes = set(), set()
        written = Counter()
        batch = []
        for index, (grade, status) in enumerate(profiles):
            batch.append(self.customer(grade, status, visit_counts[index], names, codes))
            if len(batch) == BATCH or index == total - 1:
                written += self.save_customers(batch)
                batch = []
        return written

    def customer(self, grade, status, visit_count, names, codes):
        rng = self.rng
        province, city, area_code, region_code = rng.choice(CITIES)
        trade, industry = rng.choice(TRADES)
        name = self.company_name(city, trade, names)
        owner = None if rng.random() < POOL_SHARE else rng.choice(self.rep_ids)
        created_at = self.now - datetime.timedelta(days=rng.uniform(2, 5 * 365))
        phones = f"{area_code}-{rng.randrange(6000_0000, 8999_9999)}"
        if rng.random() < 0.3:
            phones += f", 13{rng.randrange(100000000, 999999999)}"
        customer = Customer(
            name=name,
            name_normalized=normalize_name(name),
            credit_code=self.credit_code(region_code, codes) if rng.random() < 0.7 else "",
            industry=industry,
            region=province,
            city=f"{city}市",
            address=f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}路{rng.randrange(1, 400)}号",
            phones=phones,
            source=rng.choice(Source.values),
            share_of_wallet=rng.choice([None, None, 5, 10, 20, 35, 50, 60, 80]),
            relationship_level=rng.choice(RelationshipLevel.values),
            status=status,
            man_money=rng.random() < 0.7,
            man_authority=rng.random() < 0.5,
            man_need=rng.random() < 0.75,
            owner_id=owner,
            created_by_id=owner or rng.choice(self.rep_ids),
            created_at=created_at,
        )
        customer.name_pinyin, customer.name_initials = pinyin_keys(name)
        self.give_grade(customer, grade)
        self.plan_visits(customer, visit_count)
        return customer

    def company_name(self, city, trade, names):
        rng = self.rng
        for _attempt in range(20):
            brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
            name = f"{city}{brand}{trade}{rng.choice(LEGAL_FORMS)}"
            if name not in names:
                break
        names.add(name)
        return name

    def credit_code(self, region_code, codes):
        while True:
            body = f"91{region_code}{self.rng.randrange(100):02d}" + "".join(
                self.rng.choices(CREDIT_CODE_ALPHABET, k=8)
            )
            if body not in codes:
                codes.add(body)
                return credit_code_complete(body)

    def give_grade(self, customer, grade):
        """Purchases and flags that earn `grade`, as customer_save grades; a few grades are set by a manager."""
        rng = self.rng
        if grade == Grade.A:
            customer.annual_purchases = Decimal(rng.randrange(1_000_000, 20_000_000, 50_000))
            customer.is_strategic = rng.random() < 0.1
            customer.is_high_growth = rng.random() < 0.1
        elif grade == Grade.B:
            customer.annual_purchases = Decimal(rng.randrange(300_000, 1_000_000, 10_000))
        else:
            customer.annual_purchases = Decimal(rng.randrange(10_000, 300_000, 5_000)) if rng.random() < 0.7 else None
        customer.grade = customer.suggested_grade(self.policy)
        customer.overridden_from = None
        if rng.random() < OVERRIDE_SHARE:
            customer.overridden_from = customer.grade
            customer.grade = {Grade.A: Grade.B, Grade.B: Grade.A, Grade.C: Grade.B}[customer.grade]
            customer.grade_overridden = True

    def plan_visits(self, customer, count):
        """Choose the customer's visit days and methods; its last contact and next follow-up follow from them.

        As visits.services.next_follow_up: the cadence from the last contact (or registration) and, for a
        grade with an on-site rule, the interval from the last on-site visit, whichever comes first.
        """
        rng = self.rng
        registered_on = timezone.localdate(customer.created_at, self.tz)
        span = min(HISTORY_DAYS, (self.today - registered_on).days)
        # Recent days are more likely: reps visit their live customers more than their old ones.
        days = [1 + int((span - 1) * rng.random() ** 1.5) for _ in range(count)]
        methods = rng.choices(range(len(METHODS)), weights=METHOD_WEIGHTS, k=count)
        self.plan_days.extend(days)
        self.plan_methods.extend(methods)
        customer.visit_count = count
        rule = self.policy[customer.grade]
        customer.last_contact_on = self.today - datetime.timedelta(days=min(days)) if days else None
        start = customer.last_contact_on or registered_on
        due = start + datetime.timedelta(days=rule.cadence_days)
        if rule.onsite_interval_days:
            onsite = [day for day, method in zip(days, methods, strict=True) if METHODS[method] in ONSITE_METHODS]
            onsite_start = self.today - datetime.timedelta(days=min(onsite)) if onsite else start
            due = min(due, onsite_start + datetime.timedelta(days=rule.onsite_interval_days))
        customer.next_follow_up_on = due

    def save_customers(self, batch):
        self.insert(Customer, batch)
        phones = [CustomerPhone(customer=c, number=number) for c in batch for number in split_phones(c.phones)]
        history = []
        for c in batch:
            history.append(
                GradeChange(
                    customer=c,
                    changed_by_id=c.created_by_id,
                    changed_at=c.created_at,
                    to_grade=c.overridden_from or c.grade,
                    reason_code=reasons.GRADE_REGISTERED,
                )
            )
            if c.overridden_from:
                history.append(
                    GradeChange(
                        customer=c,
                        changed_by_id=self.manager_of[c.created_by_id],
                        changed_at=c.created_at + datetime.timedelta(days=self.rng.randint(1, 30)),
                        from_grade=c.overridden_from,
                        to_grade=c.grade,
                        is_override=True,
                        reason="Grade set by the manager after a review of the account.",
                    )
                )
        self.generated.extend((c.pk, c.owner_id or c.created_by_id, c.visit_count) for c in batch)
        return Counter(
            {
                "customers": len(batch),
                "phones": self.insert(CustomerPhone, phones),
                "grade changes": self.insert(GradeChange, history),
            }
        )

    # --- contacts --------------------------------------------------------------------------------------

    def contacts(self):
        """About --contacts per customer (1 to twice that less one), the first one primary."""
        rng = self.rng
        most = max(1, 2 * self.counts["contacts"] - 1)
        written = 0
        batch = []
        for position, (customer_id, _author_id, _visits) in enumerate(self.generated):
            count = rng.randint(1, most) if self.counts["contacts"] else 0
            roles = rng.sample(list(TITLES), min(count, len(TITLES))) + [BuyingRole.OTHER] * (count - len(TITLES))
            for number, role in enumerate(roles):
                title, department = rng.choice(TITLES[role])
                batch.append(
                    Contact(
                        customer_id=customer_id,
                        name="".join(person_name(rng)),
                        title=title,
                        department=department,
                        phones=f"13{rng.randrange(100000000, 999999999)}",
                        wechat=f"wx_{rng.randrange(100000, 999999)}",
                        buying_role=role,
                        attitude=rng.choice(Attitude.values),
                        influence=rng.choice(Influence.values),
                        communication_style=rng.choice(CommunicationStyle.values),
                        is_primary=number == 0,
                    )
                )
            if len(batch) >= BATCH or position == len(self.generated) - 1:
                written += self.insert(Contact, batch)
                batch = []
        return {"contacts": written}

    # --- visits ----------------------------------------------------------------------------------------

    def visits(self):
        """The planned visits, in business hours, with a few logged late and a few objections."""
        written = Counter()
        batch = []
        offset = 0
        for position, (customer_id, author_id, count) in enumerate(self.generated):
            for day, method in zip(
                self.plan_days[offset : offset + count], self.plan_methods[offset : offset + count], strict=True
            ):
                batch.append(self.visit(customer_id, author_id, self.today - datetime.timedelta(days=day), method))
            offset += count
            if len(batch) >= BATCH or position == len(self.generated) - 1:
                written += self.save_visits(batch)
                batch = []
        return written

    def visit(self, customer_id, author_id, day, method_index):
        rng = self.rng
        method = METHODS[method_index]
        started_at = datetime.datetime.combine(
            day, datetime.time(rng.randint(8, 17), rng.randrange(0, 60, 5)), tzinfo=self.tz
        )
        ended_at = started_at + datetime.timedelta(minutes=rng.randint(*MINUTES.get(method, (5, 40))))
        delay = datetime.timedelta(days=rng.uniform(1.05, 4)) if rng.random() < LATE_SHARE else None
        logged_at = min(self.now, ended_at + (delay or datetime.timedelta(minutes=rng.randint(5, 600))))
        machine = rng.choice(MACHINES)
        has_next_step = rng.random() < 0.4
        visit = Visit(
            customer_id=customer_id,
            author_id=author_id,
            method=method,
            started_at=started_at,
            ended_at=ended_at,
            purpose=rng.choice(PURPOSES),
            discussion=rng.choice(DISCUSSIONS).format(m=machine),
            needs=f"{machine}，交期三个月内" if rng.random() < 0.3 else "",
            next_step=rng.choice(NEXT_STEPS) if has_next_step else "",
            next_step_due=day + datetime.timedelta(days=rng.randint(3, 14)) if has_next_step else None,
            logged_at=logged_at,
            is_late=logged_at - started_at > LATE_AFTER,  # as Visit.save, which bulk_create skips
        )
        visit.objection = None
        if rng.random() < OBJECTION_SHARE:
            kind = rng.choice(list(OBJECTIONS))
            visit.objection = (kind, rng.choice(OBJECTIONS[kind]))
        return visit

    def save_visits(self, batch):
        self.insert(Visit, batch)
        objections = [Objection(visit=v, kind=v.objection[0], text=v.objection[1]) for v in batch if v.objection]
        return Counter({"visits": len(batch), "objections": self.insert(Objection, objections)})


class Command(BaseCommand):
    help = "Fill the database with many generated users, customers, contacts and visits (users named scale-…)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--reps", type=int, default=200)
        parser.add_argument("--teams", type=int, default=20)
        parser.add_argument("--contacts", type=int, default=3, help="Contacts per customer on average.")
        parser.add_argument("--visits", type=int, default=None, help="Visits in all (default: 10 per customer).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="Run although other customers are present.")

    def handle(self, *args, customers, reps, teams, contacts, visits, seed, force, **options):
        if customers < 0 or reps < 1 or teams < 1 or contacts < 0:
            raise CommandError("Need at least one rep and one team, and no negative counts.")
        foreign = Customer.objects.exclude(created_by__username__startswith=PREFIX).count()
        if foreign and not force:
            raise CommandError(
                f"The database holds {foreign} customers not generated by seed_scale; "
                "use a database of its own, or --force to add to it."
            )
        visits = 10 * customers if visits is None else visits
        generator = Generator(customers=customers, reps=reps, teams=teams, contacts=contacts, visits=visits, seed=seed)
        started = time.perf_counter()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys as rows arrive, so each phase's time includes them (not all at commit).
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for phase in PHASES:
                self.run_phase(phase, getattr(generator, phase))
            committing = time.perf_counter()
        self.stdout.write(f"{'commit':<10} {'':>15} {time.perf_counter() - committing:7.1f} s")
        if connection.vendor == "postgresql":
            analyzing = time.perf_counter()
            with connection.cursor() as cursor:
                # Fresh planner statistics, and the visibility map that lets counts use index-only scans, as
                # autovacuum would leave a live database; without it the first benches read every heap page.
                # VACUUM cannot run inside a transaction (as in tests): statistics alone will do there.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
            self.stdout.write(f"{'analyze':<10} {'':>15} {time.perf_counter() - analyzing:7.1f} s")
        self.stdout.write(
            f"Done in {time.perf_counter() - started:.1f} s. Password for all {PREFIX}… users: {PASSWORD}"
        )

    def run_phase(self, name, function):
        started = time.perf_counter()
        written = function()
        seconds = time.perf_counter() - started
        rows = sum(written.values())
        detail = ", ".join(f"{count:,} {what}" for what, count in written.items())
        self.stdout.write(
            f"{name:<10} {rows:>10,} rows {seconds:7.1f} s {rows / max(seconds, 1e-6):>9,.0f} rows/s  {detail}"
        )
