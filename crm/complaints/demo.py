"""Demo complaints: a few in each state, recorded and moved along through the services.

Runs after the other demo modules (see seed_demo). Skipped when any complaint exists, so a second run
creates nothing. The steps are then spread back in time, as if they had happened over the last days.
"""

import datetime

from django.db.models import Count
from django.utils import timezone

from crm.models import Customer

from .models import Category, Complaint, Severity, State
from .services import complaint_move, complaint_record

DELAY = "订单20240308的货物延迟2天到货，导致客户门店缺货，客户要求赔偿。"
DELAY_CAUSE = "物流供应商遇突发暴雨，运输延误；未提前预警客户（内部流程漏洞）。"
DELAY_ACTIONS = "1. 当日补发货物（加急顺丰，运费由我方承担）；2. 赠送500元代金券（下次使用）。"
DELAY_MEASURES = "1. 建立物流风险预警机制（恶劣天气提前24小时通知客户）；2. 优化库存调配流程，增加备用物流供应商。"

# category, severity, hours ago, what happened, reference, filled before the steps, steps (state, note)
CASES = [
    (Category.DELIVERY_DELAY, Severity.NORMAL, 120, "备件包装破损，导轨滑块锈蚀，要求换货。", "SO-2024-0412", {}, []),
    (Category.QUALITY, Severity.CRITICAL, 2, "新交付的立式加工中心主轴异响，客户已停机待修。", "VMC850-23117", {}, []),
    (Category.BILLING, Severity.NORMAL, 20, "增值税发票抬头开错，客户财务无法入账。", "INV-20240601", {}, []),
    (
        Category.INSTALLATION, Severity.HIGH, 70, "安装调试比约定晚一周，客户投产计划推迟。", "HMC630-22089",
        {"root_cause": "调试工程师被临时调往其他项目，未通知客户。"},
        [(State.INVESTIGATING, "已致电客户致歉，安排工程师明天到厂。")],
    ),
    (
        Category.AFTER_SALES, Severity.NORMAL, 96, "报修三天无人响应，售后热线一直占线。", "",
        {}, [(State.INVESTIGATING, "")],
    ),
    (
        Category.DELIVERY_DELAY, Severity.HIGH, 150, DELAY, "20240308",
        {"root_cause": DELAY_CAUSE, "resolution_actions": DELAY_ACTIONS},
        [(State.INVESTIGATING, ""), (State.RESOLVED, "补发货物已签收。")],
    ),
    (
        Category.QUALITY, Severity.HIGH, 200, "刀库换刀时卡刀，每班停机两三次。", "VMC1160-21045",
        {"root_cause": "机械手定位块磨损。", "resolution_actions": "免费更换机械手定位块并重新标定刀库。"},
        [(State.RESOLVED, "")],
    ),
    (
        Category.DELIVERY_DELAY, Severity.NORMAL, 400, DELAY, "20240308",
        {"root_cause": DELAY_CAUSE, "resolution_actions": DELAY_ACTIONS, "improvement_measures": DELAY_MEASURES,
         "customer_response": "接受处理方案，对代金券表示感谢，后续将继续合作。"},
        [(State.INVESTIGATING, ""), (State.RESOLVED, ""), (State.CLOSED, "客户电话确认满意。")],
    ),
    (
        Category.AFTER_SALES, Severity.HIGH, 300, "售后工程师上门未带备件，白跑一趟。", "",
        {"resolution_actions": "次日带齐备件再次上门，当天修复。",
         "customer_response": "问题已解决，希望以后一次到位。",
         "improvement_measures": "上门前按报修内容核对备件清单，由主管签字确认。"},
        [(State.RESOLVED, ""), (State.CLOSED, "")],
    ),
    (
        Category.QUALITY, Severity.CRITICAL, 260, "更换主轴轴承一周后再次异响。", "VMC850-22031",
        {"root_cause": "轴承预紧力调整不当。", "resolution_actions": "更换主轴轴承并重新调整预紧力。",
         "customer_response": "暂时接受，继续观察。", "improvement_measures": "主轴维修后增加4小时跑合测试。"},
        [(State.RESOLVED, ""), (State.CLOSED, ""), (State.OPEN, "客户反映异响再次出现，需重新排查。")],
    ),
]  # fmt: skip


def _spread_back(complaint, received_at):
    """The steps happened over the hours after the complaint came in, not all just now."""
    events = list(complaint.events.order_by("at", "pk"))
    span = (timezone.now() - received_at) / len(events)
    for index, event in enumerate(events):
        event.at = received_at + span * index
    type(events[0]).objects.bulk_update(events, ["at"])
    complaint.received_at = received_at if complaint.state != State.OPEN or len(events) == 1 else events[-1].at
    complaint.respond_by = complaint.deadline_from()
    complaint.responded_at = events[1].at if complaint.responded_at and len(events) > 1 else None
    complaint.save(update_fields=["received_at", "respond_by", "responded_at"])


def seed(stdout):
    if Complaint.objects.exists():
        stdout.write("Demo complaints: already there.")
        return
    customers = list(
        Customer.objects.filter(owner__team__manager__isnull=False)
        .annotate(contact_count=Count("contacts"))
        .filter(contact_count__gte=2)
        .select_related("owner__team__manager")
        .order_by("pk")[: len(CASES) * 5 : 5]
    )
    now = timezone.now()
    for customer, (category, severity, hours_ago, description, reference, fields, steps) in zip(
        customers, CASES, strict=False
    ):
        contact = customer.contacts.order_by("pk").first()
        received_at = now - datetime.timedelta(hours=hours_ago)
        complaint = Complaint(
            customer=customer, received_at=received_at, complainant=contact, phone=contact.phones[:50],
            description=description, reference=reference, category=category, severity=severity, **fields,
        )  # fmt: skip
        complaint_record(complaint=complaint, actor=customer.owner)
        for state, note in steps:
            complaint = complaint_move(
                complaint=complaint, actor=customer.owner.team.manager, to_state=state, note=note
            )
        _spread_back(complaint, received_at)
    stdout.write(f"Demo complaints: {min(len(customers), len(CASES))} created.")
