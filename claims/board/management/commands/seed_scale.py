"""Fill the database with a large, believable data set for speed checks.

    manage.py seed_scale --customers 100000 [--reps 200 --teams 20 --contacts 3 --visits 1000000
                         --deals-per-customer 2 --seed 1 --force]

Runs in phases (see PHASES), all in one transaction, each printing its rows per second. Everything
generated hangs off users named `scale-…`: a customer is generated when such a user registered it.
A new run first removes what the previous one made, and refuses to start when the database holds
other customers, unless --force (they are then left alone).

Derived fields are filled as the services fill them, but in bulk: the name keys with crm.normalize,
the grade from purchases and flags with its registration history, phone rows, and each customer's
last contact and next follow-up from its latest (on-site) visit and the grade cadence. Deals (crm/deals) get
their equipment lines, people and stage history as the services leave them; a won deal its purchase.

On PostgreSQL every table is written with COPY, the big ones from plain tuples (no model instance per row), into
tables whose foreign keys and secondary indexes are made again at the end of the phase that fills them (the
schema is left exactly as the migrations made it). The summary triggers fire as for any insert, once per batch.
"""

import contextlib
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
from claims.board.triggers import VISIT_INSERT_TRIGGERS, visits_inserted
from claims.models import ArbiterReason, Claim, Dispute, DisputeKind, EventKind, OwnershipEvent, OwnershipPolicy
from crm import reasons
from crm.complaints.models import Category, Complaint, ComplaintEvent, ResponseDeadline, Severity, State
from crm.deals.models import (
    CloseReason,
    Opportunity,
    OpportunityLine,
    Outcome,
    Participant,
    Purchase,
    Stage,
    StageChange,
)
from crm.deals.models import Status as DealStatus
from crm.models import (
    Attitude,
    BuyingRole,
    CommunicationStyle,
    Contact,
    ContactPhone,
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
from crm.normalize import normalize_name, person_name_keys, pinyin_keys, split_phones
from crm.sql import insert_from_select
from crm.validators import CREDIT_CODE_ALPHABET, credit_code_complete
from visits.models import LATE_AFTER, Method, Objection, ObjectionKind, ReminderKind, Visit
from visits.services import CLOSES

PREFIX = "scale-"
PASSWORD = "scale12345"
BATCH = 20_000
# The values of the choices drawn from, listed once (Choices.values builds a new list on each access).
VALUES = {
    choices: choices.values
    for choices in (Severity, Category, Source, RelationshipLevel, Attitude, Influence, CommunicationStyle)
}
# The fields given in the plain rows written for the big tables (the other columns get their defaults).
GRADE_CHANGE_FIELDS = (
    "customer_id", "changed_by_id", "changed_at", "from_grade", "to_grade", "is_override", "reason", "reason_code"
)  # fmt: skip
CONTACT_FIELDS = (
    "customer_id", "name", "title", "department", "phones", "wechat", "buying_role", "attitude", "influence",
    "communication_style", "is_primary", "name_pinyin", "name_initials",
)  # fmt: skip
VISIT_FIELDS = (
    "customer_id", "author_id", "method", "started_at", "ended_at", "purpose", "discussion", "needs", "next_step",
    "next_step_due", "logged_at", "is_late",
)  # fmt: skip
DEAL_FIELDS = (
    "customer_id", "title", "stage_id", "stage_entered_at", "probability", "status", "expected_close_on", "amount",
    "need_confirmed", "quote_amount", "quote_on", "delivery_on", "next_step", "next_step_due", "next_step_owner_id",
    "close_reason_id", "won_by", "closed_on", "created_by_id", "created_at",
)  # fmt: skip
STAGE_CHANGE_FIELDS = ("opportunity_id", "actor_id", "at", "from_stage_id", "to_stage_id", "status", "days_in_previous")
PHASES = ["clear", "people", "customers", "contacts", "visits", "ownership", "complaints", "deals"]
# The tables each phase fills, whose foreign keys and indexes (but those of constraints) it makes once at its end on
# PostgreSQL rather than row by row: most indexes are trigram GIN indexes, costly to update one row at a time, and
# each foreign key would look up and lock its target row per row.
INDEXED_AFTER = {
    "customers": ["crm_customer", "crm_customersearchname", "crm_customerphone", "crm_gradechange"],
    "contacts": ["crm_contact", "crm_contactphone"],
    "visits": ["visits_visit", "visits_objection"],
    "deals": [
        "deals_opportunity", "deals_opportunityline", "deals_participant", "deals_stagechange", "deals_purchase"
    ],
}  # fmt: skip

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
# (machine, models, unit price range in CNY) for the deals' equipment lines.
EQUIPMENT = [
    ("五轴加工中心", ["DMU 65", "VF-5/40", "UMC-750"], (1_200_000, 3_800_000)),
    ("立式加工中心", ["VMC-850", "V-1160", "MV-1060"], (260_000, 680_000)),
    ("卧式加工中心", ["HMC-500", "H-630"], (900_000, 2_200_000)),
    ("数控车床", ["CK6150", "TL-2", "QTN-200"], (150_000, 520_000)),
    ("龙门铣", ["GMC-2016", "LM-3022"], (1_500_000, 4_200_000)),
    ("车铣复合机", ["NTX-1000", "INTEGREX i-200"], (1_800_000, 4_600_000)),
    ("刀具", ["整体硬质合金立铣刀套装", "可转位车刀套装"], (8_000, 60_000)),
]
DEAL_STATUS_SHARES = [
    (DealStatus.OPEN, 0.70),
    (DealStatus.WON, 0.15),
    (DealStatus.LOST, 0.10),
    (DealStatus.ABANDONED, 0.05),
]


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
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    return str(value)  # numbers, dates, aware datetimes (with their offset)


def next_pks(cursor, meta, count):
    """`count` pks from the table's own sequence, taken as an INSERT would take them."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [meta.db_table, meta.pk.column, count],
    )
    return [pk for (pk,) in cursor.fetchall()]


def copy_from(cursor, meta, columns, data):
    data.seek(0)
    columns = ", ".join(connection.ops.quote_name(column) for column in columns)
    cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", data)


@contextlib.contextmanager
def built_after(tables):
    """Drop the foreign keys of `tables` and the indexes no constraint uses, and make them again, as they were,
    on leaving: a bulk load is several times faster into bare tables, then one join checks each foreign key and
    one sort builds each index. Keys and unique constraints stay. Yields a list to which the seconds spent
    building are appended. Nothing is dropped if the phase fails: the drops roll back with it.
    """
    spent = []
    if connection.vendor != "postgresql" or not tables:
        yield spent
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid) FROM pg_index AS index "
            "WHERE index.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint WHERE pg_constraint.conindid = index.indexrelid) ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield spent
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    spent.append(time.perf_counter() - started)


def copy_insert(model, objects):
    """bulk_create() for PostgreSQL through COPY, several times faster; gives the objects their pks too.

    Field values are read as bulk_create reads them (pre_save fills auto_now), without its conversions:
    enough for the plain columns generated here (no JSON, no custom fields).
    """
    if not objects:
        return
    meta = model._meta
    fields = meta.concrete_fields
    # pre_save only where it does more than read the attribute (auto_now and auto_now_add).
    special = {
        field.attname for field in fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    }
    with connection.cursor() as cursor:
        for obj, pk in zip(objects, next_pks(cursor, meta, len(objects)), strict=True):
            obj.pk = pk
        data = io.StringIO()
        write = data.write
        for obj in objects:
            values = obj.__dict__
            write(
                "\t".join(
                    [
                        copy_text(field.pre_save(obj, True) if field.attname in special else values[field.attname])
                        for field in fields
                    ]
                )
            )
            write("\n")
        copy_from(cursor, meta, [field.column for field in fields], data)


_UNGIVEN = {}


def _ungiven(model, given):
    """The columns of `model` not in `given` (attnames), and their COPY text as a new instance has them."""
    key = (model, given)
    if key not in _UNGIVEN:
        meta = model._meta
        blank = model()
        rest = [field for field in meta.concrete_fields if field.attname not in given and not field.primary_key]
        _UNGIVEN[key] = (
            [meta.get_field(attname).column for attname in given] + [field.column for field in rest],
            "".join("\t" + copy_text(field.pre_save(blank, True)) for field in rest),
        )
    return _UNGIVEN[key]


def copy_rows(model, given, rows, *, pks=False):
    """COPY plain tuples of the `given` fields (attnames) into `model`'s table, without making a model instance
    per row; the other columns get the values a new instance has (its defaults). With `pks`, the rows' pks come
    from the table's sequence and are returned, in order; without, the table's default numbers them."""
    if not rows:
        return []
    meta = model._meta
    columns, tail = _ungiven(model, tuple(given))
    tail += "\n"
    data = io.StringIO()
    write = data.write
    text = copy_text
    with connection.cursor() as cursor:
        ids = []
        if pks:
            ids = next_pks(cursor, meta, len(rows))
            columns = [meta.pk.column, *columns]
            for pk, row in zip(ids, rows, strict=True):
                write(f"{pk}\t" + "\t".join(map(text, row)) + tail)
        else:
            for row in rows:
                write("\t".join(map(text, row)) + tail)
        copy_from(cursor, meta, columns, data)
    return ids


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
            severity = rng.choice(VALUES[Severity])
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
                    category=rng.choice(VALUES[Category]),
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


class Deals:
    """The last phase: deals at every stage, with lines, people and their stage history; won ones with a purchase."""

    def deals(self):
        """--deals-per-customer deals per generated customer on average (some customers several, some none)."""
        rng = self.rng
        total = round(self.counts["deals"] * len(self.generated))
        if not total:
            return {"deals": 0}
        stages = Stage.objects.in_use()
        reasons = {outcome: list(CloseReason.objects.filter(outcome=outcome, is_active=True)) for outcome in Outcome}
        people = {}  # customer pk -> [(contact pk, buying role)]
        generated_ids = [customer_id for customer_id, _author, _visits in self.generated]
        for start in range(0, len(generated_ids), BATCH):
            contacts = Contact.objects.filter(customer__in=generated_ids[start : start + BATCH]).order_by("pk")
            for customer_id, contact_id, role in contacts.values_list("customer", "pk", "buying_role"):
                people.setdefault(customer_id, []).append((contact_id, role))
        written = Counter()
        picked = rng.choices(self.generated, k=total)
        for start in range(0, total, BATCH):
            batch = [
                self.deal(customer_id, author_id, stages, reasons)
                for customer_id, author_id, _ in picked[start : start + BATCH]
            ]
            written += self.save_deals(batch, people)
        return written

    def deal(self, customer_id, author_id, stages, reasons):
        """A deal's row (DEAL_FIELDS) and its plan: lines (product, model, quantity, unit price), the times it
        entered each stage, and when it closed."""
        rng = self.rng
        status = pick(rng, DEAL_STATUS_SHARES)
        last = len(stages) - 1
        reached = last if status == DealStatus.WON else rng.randint(0, last if status == DealStatus.OPEN else last - 1)
        created_at = self.now - datetime.timedelta(days=rng.randint(20, HISTORY_DAYS), hours=rng.randint(0, 9))
        # The days the deal entered each stage it reached, then (closed) the day it closed.
        span = (self.now - created_at).days
        marks = sorted(rng.sample(range(1, span), min(span - 1, reached + (status != DealStatus.OPEN))))
        entered = [created_at] + [created_at + datetime.timedelta(days=days) for days in marks[:reached]]
        closed_at = created_at + datetime.timedelta(days=marks[-1]) if status != DealStatus.OPEN and marks else None
        stage = stages[min(reached, len(entered) - 1)]
        machine, models_, (low, high) = rng.choice(EQUIPMENT)
        lines = [
            (machine, rng.choice(models_), rng.randint(1, 3), Decimal(rng.randrange(low, high, 1000)))
            for _ in range(rng.randint(1, 2))
        ]
        if rng.random() < 0.4:
            tools = EQUIPMENT[-1]
            lines.append((tools[0], rng.choice(tools[1]), rng.randint(1, 5), Decimal(rng.randrange(*tools[2], 100))))
        amount = sum((unit_price * quantity for _product, _model, quantity, unit_price in lines), Decimal(0))
        closed_on = timezone.localdate(closed_at) if closed_at else None
        outcome_reasons = reasons.get(status) or [None]
        is_open = status == DealStatus.OPEN
        expected_close_on = closed_on or self.today + datetime.timedelta(days=rng.randint(-20, 240))
        next_step = rng.choice(NEXT_STEPS) if is_open else ""
        next_step_due = self.today + datetime.timedelta(days=rng.randint(1, 21)) if is_open else None
        close_reason = rng.choice(outcome_reasons) if not is_open else None
        won_by = rng.choice(["德玛吉", "马扎克", "哈斯", "沈阳机床"]) if status == DealStatus.LOST else ""
        row = (
            customer_id, f"{machine}采购项目", stage.pk, entered[-1],
            {DealStatus.OPEN: stage.probability, DealStatus.WON: 100}.get(status, 0), status, expected_close_on,
            amount, stage.order > stages[0].order, amount if reached >= 3 else None,
            timezone.localdate(entered[-1]) if reached >= 3 else None,
            timezone.localdate(entered[-1]) + datetime.timedelta(days=60) if reached == last else None,
            next_step, next_step_due, author_id if is_open else None, close_reason.pk if close_reason else None,
            won_by, closed_on, author_id, created_at,
        )  # fmt: skip
        return row, (lines, entered, closed_at, stage, stages)

    def save_deals(self, batch, people):
        """The deals, then their lines, people, history (each stage entered, then the close) and purchases."""
        rng = self.rng
        pks = self.rows(Opportunity, DEAL_FIELDS, [row for row, _plan in batch], pks=True)
        lines, participants, history, purchases = [], [], [], []
        for pk, (row, (deal_lines, entered, closed_at, final_stage, stages)) in zip(pks, batch, strict=True):
            customer_id, status, amount, author_id = row[0], row[5], row[7], row[18]
            lines += [(pk, *line) for line in deal_lines]
            contacts = people.get(customer_id, [])
            for contact_id, role in rng.sample(contacts, min(len(contacts), rng.randint(0, 3))):
                participants.append((pk, contact_id, role))
            previous = None
            for stage, at in zip(stages, entered, strict=False):
                history.append(self.stage_change(pk, author_id, previous, stage, at, DealStatus.OPEN))
                previous = (stage, at)
            if closed_at is not None:
                history.append(self.stage_change(pk, author_id, previous, final_stage, closed_at, status))
            if status == DealStatus.WON:
                purchases.append((customer_id, pk, amount, row[17], closed_at))
        self.rows(OpportunityLine, ("opportunity_id", "product", "model", "quantity", "unit_price"), lines)
        self.rows(Participant, ("opportunity_id", "contact_id", "role"), participants)
        self.rows(StageChange, STAGE_CHANGE_FIELDS, history)
        self.rows(Purchase, ("customer_id", "opportunity_id", "amount", "bought_on", "created_at"), purchases)
        return Counter({
            "deals": len(batch),
            "deal lines": len(lines),
            "people involved": len(participants),
            "deal history": len(history),
            "purchases": len(purchases),
        })  # fmt: skip

    @staticmethod
    def stage_change(deal_pk, actor_id, previous, to_stage, at, status):
        """A row of STAGE_CHANGE_FIELDS."""
        return (
            deal_pk, actor_id, at, previous[0].pk if previous else None, to_stage.pk, status,
            (at - previous[1]).days if previous else None,
        )  # fmt: skip


class Generator(OwnershipAndComplaints, Deals):
    """The phases, in order; each returns {what: rows written} and leaves what later phases need."""

    def __init__(self, *, customers, reps, teams, contacts, visits, seed, deals=2):
        self.rng = random.Random(seed)  # noqa: S311 - test data, not security
        self.counts = {
            "customers": customers, "reps": reps, "teams": teams, "contacts": contacts, "visits": visits, "deals": deals
        }  # fmt: skip
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.tz = timezone.get_current_timezone()
        self.policy = GradeRule.policy()
        self.person_keys_of = {}  # person name -> its search keys

    def insert(self, model, objects):
        if connection.vendor == "postgresql":
            copy_insert(model, objects)
        else:
            model.objects.bulk_create(objects, batch_size=BATCH)
            reset_queries()  # with DEBUG on, Django keeps every statement: megabytes per batch
        return len(objects)

    def rows(self, model, given, rows, *, pks=False):
        """Write plain tuples of the `given` fields (attnames); with `pks`, return the new rows' pks in order."""
        if connection.vendor == "postgresql":
            return copy_rows(model, given, rows, pks=pks)
        objects = [model(**dict(zip(given, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH)
        reset_queries()
        return [obj.pk for obj in objects]

    # --- clear -----------------------------------------------------------------------------------------

    def clear(self):
        users = User.objects.filter(username__startswith=PREFIX)
        team_ids = set(users.exclude(team=None).values_list("team", flat=True))
        customers = Customer.objects.filter(created_by__in=users)
        rows = self.clear_ownership(customers)
        rows += self.clear_deals(customers)
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

    def clear_deals(self, customers):
        """Deal history is append-only, by a trigger too: lifted likewise; purchases and the deals' parts follow."""
        deals = Opportunity.objects.filter(customer__in=customers)
        with row_guard_lifted(connection, StageChange._meta.db_table):
            rows = StageChange.objects.filter(opportunity__in=deals)._raw_delete(connection.alias)
        rows += Purchase.objects.filter(customer__in=customers)._raw_delete(connection.alias)
        return rows + delete_generated(deals)

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
            source=rng.choice(VALUES[Source]),
            share_of_wallet=rng.choice([None, None, 5, 10, 20, 35, 50, 60, 80]),
            relationship_level=rng.choice(VALUES[RelationshipLevel]),
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
        phones = [(c.pk, number) for c in batch for number in split_phones(c.phones)]
        history = []
        for c in batch:
            history.append((c.pk, c.created_by_id, c.created_at, "", c.overridden_from or c.grade, False, "",
                            reasons.GRADE_REGISTERED))  # fmt: skip
            if c.overridden_from:
                history.append((
                    c.pk, self.manager_of[c.created_by_id],
                    c.created_at + datetime.timedelta(days=self.rng.randint(1, 30)), c.overridden_from, c.grade, True,
                    "Grade set by the manager after a review of the account.", "",
                ))  # fmt: skip
        self.rows(CustomerPhone, ("customer_id", "number"), phones)
        self.rows(GradeChange, GRADE_CHANGE_FIELDS, history)
        self.generated.extend((c.pk, c.owner_id or c.created_by_id, c.visit_count) for c in batch)
        return Counter({"customers": len(batch), "phones": len(phones), "grade changes": len(history)})

    # --- contacts --------------------------------------------------------------------------------------

    def contacts(self):
        """About --contacts per customer (1 to twice that less one), the first one primary."""
        rng = self.rng
        most = max(1, 2 * self.counts["contacts"] - 1)
        written = Counter()
        batch = []
        for position, (customer_id, _author_id, _visits) in enumerate(self.generated):
            count = rng.randint(1, most) if self.counts["contacts"] else 0
            roles = rng.sample(list(TITLES), min(count, len(TITLES))) + [BuyingRole.OTHER] * (count - len(TITLES))
            for number, role in enumerate(roles):
                title, department = rng.choice(TITLES[role])
                name = "".join(person_name(rng))
                phones = f"13{rng.randrange(100000000, 999999999)}"
                wechat = f"wx_{rng.randrange(100000, 999999)}"
                batch.append((
                    customer_id, name, title, department, phones, wechat, role, rng.choice(VALUES[Attitude]),
                    rng.choice(VALUES[Influence]), rng.choice(VALUES[CommunicationStyle]), number == 0,
                    *self.person_keys(name),
                ))  # fmt: skip
            if len(batch) >= BATCH or position == len(self.generated) - 1:
                written += self.save_contacts(batch)
                batch = []
        return written

    def person_keys(self, name):
        """The search keys Contact.set_name_keys gives a name; the names come from a small pool: computed once each."""
        keys = self.person_keys_of.get(name)
        if keys is None:
            keys = self.person_keys_of[name] = person_name_keys(name)
        return keys

    def save_contacts(self, batch):
        """The contacts with the search keys and phone rows that Contact.save() and bulk_create() give them."""
        pks = self.rows(Contact, CONTACT_FIELDS, batch, pks=True)
        phones = [(pk, number) for pk, row in zip(pks, batch, strict=True) for number in split_phones(row[4])]
        if connection.vendor == "postgresql":  # elsewhere Contact.objects.bulk_create() wrote them already
            self.rows(ContactPhone, ("contact_id", "number"), phones)
        return Counter({"contacts": len(batch), "contact phones": len(phones)})

    # --- visits ----------------------------------------------------------------------------------------

    def visits(self):
        """The planned visits, in business hours, with a few logged late and a few objections."""
        with self.visit_triggers_once():
            return self.write_visits()

    @contextlib.contextmanager
    def visit_triggers_once(self):
        """On PostgreSQL, the visits' insert triggers run once over all the phase's rows rather than per batch.

        Per batch, each would join the batch with every customer and upsert the day counts again: a cost that
        grows with the database. Disabling them locks the table against other writers until the commit, so the
        visits numbered above the highest one at the start are exactly the phase's; the summaries (stale owners,
        visits per day) get what the triggers would have given them.
        """
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            for trigger in VISIT_INSERT_TRIGGERS:
                cursor.execute(f"ALTER TABLE visits_visit DISABLE TRIGGER {trigger}")
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM visits_visit")
            (last,) = cursor.fetchone()
        yield
        with connection.cursor() as cursor:
            for trigger in VISIT_INSERT_TRIGGERS:
                cursor.execute(f"ALTER TABLE visits_visit ENABLE TRIGGER {trigger}")
            for statement in visits_inserted(f"SELECT * FROM visits_visit WHERE id > {int(last)}"):  # noqa: S608
                cursor.execute(statement)

    def write_visits(self):
        written = Counter()
        batch, objections = [], []
        offset = 0
        for position, (customer_id, author_id, count) in enumerate(self.generated):
            for day, method in zip(
                self.plan_days[offset : offset + count], self.plan_methods[offset : offset + count], strict=True
            ):
                batch.append(self.visit(customer_id, author_id, self.today - datetime.timedelta(days=day), method))
                if self.objection is not None:
                    objections.append((len(batch) - 1, *self.objection))
            offset += count
            if len(batch) >= BATCH or position == len(self.generated) - 1:
                written += self.save_visits(batch, objections)
                batch, objections = [], []
        return written

    def visit(self, customer_id, author_id, day, method_index):
        """One visit's row (VISIT_FIELDS); its objection, if any, is left in self.objection as (kind, text)."""
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
        purpose = rng.choice(PURPOSES)
        discussion = rng.choice(DISCUSSIONS).format(m=machine)
        needs = f"{machine}，交期三个月内" if rng.random() < 0.3 else ""
        next_step = rng.choice(NEXT_STEPS) if has_next_step else ""
        next_step_due = day + datetime.timedelta(days=rng.randint(3, 14)) if has_next_step else None
        self.objection = None
        if rng.random() < OBJECTION_SHARE:
            kind = rng.choice(list(OBJECTIONS))
            self.objection = (kind, rng.choice(OBJECTIONS[kind]))
        return (
            customer_id, author_id, method, started_at, ended_at, purpose, discussion, needs, next_step, next_step_due,
            logged_at, logged_at - started_at > LATE_AFTER,  # is_late as Visit.save sets it
        )  # fmt: skip

    def save_visits(self, batch, objections):
        """The visits, then their objections ((index in the batch, kind, text))."""
        pks = self.rows(Visit, VISIT_FIELDS, batch, pks=True)
        self.rows(
            Objection, ("visit_id", "kind", "text"), [(pks[index], kind, text) for index, kind, text in objections]
        )
        return Counter({"visits": len(batch), "objections": len(objections)})


class Command(BaseCommand):
    help = "Fill the database with many generated users, customers, contacts and visits (users named scale-…)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--reps", type=int, default=200)
        parser.add_argument("--teams", type=int, default=20)
        parser.add_argument("--contacts", type=int, default=3, help="Contacts per customer on average.")
        parser.add_argument("--visits", type=int, default=None, help="Visits in all (default: 10 per customer).")
        parser.add_argument(
            "--deals-per-customer", type=float, default=2, help="Deals (opportunities) per customer on average."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="Run although other customers are present.")

    def handle(self, *args, customers, reps, teams, contacts, visits, deals_per_customer, seed, force, **options):
        if customers < 0 or reps < 1 or teams < 1 or contacts < 0 or deals_per_customer < 0:
            raise CommandError("Need at least one rep and one team, and no negative counts.")
        foreign = Customer.objects.exclude(created_by__username__startswith=PREFIX).count()
        if foreign and not force:
            raise CommandError(
                f"The database holds {foreign} customers not generated by seed_scale; "
                "use a database of its own, or --force to add to it."
            )
        visits = 10 * customers if visits is None else visits
        generator = Generator(
            customers=customers, reps=reps, teams=teams, contacts=contacts, visits=visits, seed=seed,
            deals=deals_per_customer,
        )  # fmt: skip
        started = time.perf_counter()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys as rows arrive, so each phase's time includes them (not all at commit).
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for phase in PHASES:
                self.run_phase(phase, getattr(generator, phase), INDEXED_AFTER.get(phase, []))
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

    def run_phase(self, name, function, tables):
        started = time.perf_counter()
        with built_after(tables) as building:
            written = function()
        seconds = time.perf_counter() - started
        rows = sum(written.values())
        detail = ", ".join(f"{count:,} {what}" for what, count in written.items())
        if building:
            detail += f" (keys and indexes made after: {building[0]:.1f} s)"
        self.stdout.write(
            f"{name:<10} {rows:>10,} rows {seconds:7.1f} s {rows / max(seconds, 1e-6):>9,.0f} rows/s  {detail}"
        )
