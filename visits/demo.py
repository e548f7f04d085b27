"""Demo visits and reminders: a history behind every owned customer, and reps who are behind in every grade.

Each owned demo customer gets one to four past visits, the latest on its
last-contact day. About one customer in five was last contacted longer ago
than its cadence: the morning sweep finds it overdue, and the longest-overdue
ones escalate to the manager.
"""

import datetime
import random

from django.db.models import Exists, OuterRef
from django.utils import timezone

from crm.models import Customer, GradeRule

from .models import Method, Objection, ObjectionKind, Visit
from .sweep import escalate_overdue, followup_sweep

DISCUSSIONS = [
    "介绍了五轴加工中心，客户对加工精度很感兴趣，要求提供同行业案例。",
    "车间主任反映现有设备换型慢，希望了解快换夹具方案。",
    "技术部长索要技术参数表和样件加工报告。",
    "总经理询问交期和付款方式，表示明年一季度有预算。",
    "回访设备使用情况，操作工反馈主轴噪音偏大，已安排服务工程师。",
    "在展会上交流，客户计划扩建新厂房，需要三台卧式加工中心。",
    "电话跟进报价，客户说正在比较三家供应商。",
]
OBJECTIONS = [
    (ObjectionKind.PRICE, "价格比日本品牌高，但比国产贵15%"),
    (ObjectionKind.CAPABILITY, "担心售后响应速度跟不上"),
    (ObjectionKind.EXCUSE, "最近太忙，过段时间再说"),
    (ObjectionKind.HIDDEN, "采购和技术部意见不一致"),
]
NEXT_STEPS = ["发送正式报价", "安排样件试切", "邀请来展厅参观", "提供同行业客户名单", ""]
COMMITMENTS = ["下周提供图纸", "安排技术部长参加试切", "", ""]


def seed(stdout):
    rng = random.Random(4)  # noqa: S311 - demo data, not security
    policy = GradeRule.policy()
    without_visits = (
        Customer.objects.filter(owner__isnull=False, last_contact_on__isnull=False)
        .exclude(Exists(Visit.objects.filter(customer=OuterRef("pk"))))
        .select_related("owner")
        .prefetch_related("contacts")
        .order_by("pk")
    )
    visits, met, objections, customers = [], [], [], list(without_visits)
    for customer in customers:
        rule = policy[customer.grade]
        cadence = rule.cadence_days
        # Most customers are on schedule; about one in five is overdue, some long enough to escalate.
        if rng.random() < 0.2:
            overdue_by = rng.randint(1, 2 * rule.escalate_after_days)
        else:
            overdue_by = -rng.randint(0, cadence - 1)
        day = customer.last_contact_on = timezone.localdate() - datetime.timedelta(days=cadence + overdue_by)
        customer.schedule_from_cadence(policy)
        for number in range(rng.randint(1, 4)):
            started = timezone.make_aware(datetime.datetime.combine(day, datetime.time(rng.randint(8, 16))))
            late = rng.random() < 0.1
            next_step = rng.choice(NEXT_STEPS) if number == 0 else ""
            visits.append(
                Visit(
                    customer=customer,
                    author=customer.owner,
                    method=rng.choice([Method.ONSITE, Method.PHONE, Method.PHONE, Method.WECHAT, Method.VIDEO]),
                    started_at=started,
                    ended_at=started + datetime.timedelta(hours=1),
                    discussion=rng.choice(DISCUSSIONS),
                    commitments=rng.choice(COMMITMENTS),
                    next_step=next_step,
                    next_step_due=day + datetime.timedelta(days=7) if next_step else None,
                    logged_at=started + datetime.timedelta(hours=30 if late else 2),
                    is_late=late,  # bulk_create skips save(), which would compute it
                )
            )
            met.append(list(customer.contacts.all())[:2])
            objections.append(rng.choice(OBJECTIONS) if rng.random() < 0.3 else None)
            day -= datetime.timedelta(days=cadence + rng.randint(-2, 5))
    Customer.objects.bulk_update(customers, ["last_contact_on", "next_follow_up_on"])
    Visit.objects.bulk_create(visits)
    Through = Visit.contacts.through
    Through.objects.bulk_create(
        [
            Through(visit_id=visit.pk, contact_id=contact.pk)
            for visit, contacts in zip(visits, met, strict=True)
            for contact in contacts
        ]
    )
    Objection.objects.bulk_create(
        [
            Objection(visit=visit, kind=pair[0], text=pair[1])
            for visit, pair in zip(visits, objections, strict=True)
            if pair
        ]
    )
    created = followup_sweep()
    escalated = escalate_overdue()
    stdout.write(
        f"Demo visits: {len(visits)} logged; reminders: {sum(created.values())} created by the follow-up sweep, "
        f"{sum(escalated.values())} escalated."
    )
