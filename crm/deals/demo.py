"""Demo deals: a believable pipeline of machine tools at every stage, some won and lost, made through the services.

Runs after the other demo modules (see seed_demo). Skipped when any deal exists, so a second run creates nothing.
Open deals are then dated back in their stage, some past the stage's usual time (stuck).
"""

import datetime
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, User
from crm.models import Contact, Customer

from .models import (
    CloseReason,
    Competitor,
    Opportunity,
    OpportunityLine,
    Outcome,
    Participant,
    Period,
    PeriodKind,
    SalesTarget,
    Stage,
)
from .services import (
    RequirementsMissing,
    opportunity_create,
    opportunity_lose,
    opportunity_move,
    opportunity_part_save,
    opportunity_update,
    opportunity_win,
    sales_target_set,
)

# Machines with real-looking models and list prices (CNY).
MACHINES = {
    "vmc": ("立式加工中心", "VMC850", Decimal(420_000)),
    "vmc_big": ("立式加工中心", "VMC1160", Decimal(560_000)),
    "hmc": ("卧式加工中心", "HMC630", Decimal(1_380_000)),
    "five_axis": ("五轴加工中心", "UMC500", Decimal(2_650_000)),
    "lathe": ("数控车床", "CK6150", Decimal(168_000)),
    "turn_mill": ("车铣复合中心", "TMC200", Decimal(1_150_000)),
    "gantry": ("龙门加工中心", "GMC2518", Decimal(1_980_000)),
    "fixture": ("液压夹具", "HF-200", Decimal(36_000)),
    "tools": ("刀具套装", "CT-MILL-40", Decimal(18_500)),
}

# title, stage order reached, machines (key, quantity), competitors, outcome (None: open), days to close
DEALS = [
    ("新厂区加工中心扩产", 1, [("vmc", 4)], [], None, 120),
    ("发动机缸体线改造", 1, [("hmc", 2), ("fixture", 4)], [("德马吉森精机", "品牌和精度")], None, 150),
    ("模具车间五轴升级", 2, [("five_axis", 1)], [("哈默", "五轴经验")], None, 90),
    ("轴类零件车削产能", 2, [("lathe", 6), ("tools", 6)], [], None, 75),
    ("航空结构件五轴项目", 3, [("five_axis", 2)], [("德马吉森精机", "品牌"), ("北京精雕", "价格")], None, 60),
    ("变速箱壳体柔性线", 3, [("hmc", 3), ("fixture", 6)], [("马扎克", "交期")], None, 80),
    ("风电轮毂龙门项目", 4, [("gantry", 1)], [("海天精工", "价格低")], None, 45),
    ("医疗器械车铣复合", 4, [("turn_mill", 2)], [("津上", "小件精度")], None, 40),
    ("轨交转向架加工", 5, [("gantry", 2), ("tools", 10)], [("海天精工", "价格低")], None, 20),
    ("汽车零部件二期", 5, [("vmc_big", 6)], [], None, 15),
    ("泵阀壳体加工中心", 6, [("vmc", 3)], [], None, 10),
    ("齿轮箱卧加项目", 6, [("hmc", 1)], [], Outcome.WON, 0),
    ("液压件车削单元", 4, [("lathe", 4), ("fixture", 2)], [], Outcome.WON, 0),
    ("铝合金压铸件加工", 3, [("vmc", 5)], [("北京精雕", "价格低 15%")], Outcome.LOST, 0),
    ("叶片五轴项目", 4, [("five_axis", 1)], [("德马吉森精机", "客户总工偏好")], Outcome.LOST, 0),
]
ROLES_BY_STAGE = ["user", "technical", "decision_maker", "coach"]


def _name_people(deal, contacts, actor, stage_order):
    """The people a deal at this stage would have named: more roles the further it got."""
    wanted = ROLES_BY_STAGE[: min(4, stage_order)]
    for contact, role in zip(contacts, wanted, strict=False):
        opportunity_part_save(part=Participant(opportunity=deal, contact=contact, role=role), actor=actor)


def _ready_for(deal, stage, actor):
    """Fill what the stage asks for, as a rep would before moving on."""
    needs, changed = set(stage.requirements), []
    if "need_confirmed" in needs:
        deal.need_confirmed = True
        changed.append("need_confirmed")
    if "quote" in needs:
        deal.quote_amount, deal.quote_on = (deal.amount * Decimal("0.95")).quantize(Decimal(1)), timezone.localdate()
        changed += ["quote_amount", "quote_on"]
    if "delivery_date" in needs:
        deal.delivery_on = timezone.localdate() + datetime.timedelta(days=30)
        changed.append("delivery_on")
    if changed:
        opportunity_update(opportunity=deal, actor=actor, changed=changed)


def _date_back(deal, days_in_stage):
    """The deal has been in its stage a while (some longer than the stage's usual time: stuck)."""
    Opportunity.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=days_in_stage)
    )


def _seed_targets(stdout):
    """This month's and this quarter's targets for the reps of every team, set by their manager."""
    if SalesTarget.objects.exists():
        stdout.write("Demo sales targets: already there.")
        return
    today = timezone.localdate()
    month, quarter = Period.containing(PeriodKind.MONTH, today), Period.containing(PeriodKind.QUARTER, today)
    reps = User.objects.filter(role=Role.REP, is_active=True, departed_at=None, team__manager__isnull=False)
    reps = list(reps.select_related("team__manager").order_by("pk"))
    for index, rep in enumerate(reps):
        monthly = Decimal(800_000 + 200_000 * (index % 4))
        sales_target_set(actor=rep.team.manager, rep=rep, period=month, amount=monthly)
        sales_target_set(actor=rep.team.manager, rep=rep, period=quarter, amount=monthly * 3)
    stdout.write(f"Demo sales targets: {2 * len(reps)} set.")


def seed(stdout):
    _seed_targets(stdout)
    if Opportunity.objects.exists():
        stdout.write("Demo deals: already there.")
        return
    stages = {stage.order: stage for stage in Stage.objects.in_use()}
    reasons = {outcome: list(CloseReason.objects.filter(outcome=outcome)) for outcome in Outcome.values}
    customers = list(
        Customer.objects.filter(owner__team__manager__isnull=False)
        .annotate(contact_count=Count("contacts"))
        .filter(contact_count__gte=2)
        .select_related("owner__team__manager")
        .order_by("pk")[1 : len(DEALS) * 3 : 3]
    )
    today = timezone.localdate()
    for index, (customer, (title, reached, machines, competitors, outcome, close_in)) in enumerate(
        zip(customers, DEALS, strict=False)
    ):
        rep = customer.owner
        deal = opportunity_create(
            opportunity=Opportunity(
                customer=customer, title=title, expected_close_on=today + datetime.timedelta(days=close_in or 30),
                next_step="提交技术方案并约技术交流" if outcome is None else "",
                next_step_due=today + datetime.timedelta(days=index % 7 + 1) if outcome is None else None,
            ),
            actor=rep,
        )  # fmt: skip
        for key, quantity in machines:
            product, model, price = MACHINES[key]
            opportunity_part_save(
                part=OpportunityLine(opportunity=deal, product=product, model=model, quantity=quantity,
                                     unit_price=price),
                actor=rep,
            )  # fmt: skip
        for name, strengths in competitors:
            opportunity_part_save(part=Competitor(opportunity=deal, name=name, strengths=strengths), actor=rep)
        _name_people(deal, list(Contact.objects.filter(customer=customer).order_by("pk")), rep, reached)
        for order in range(2, reached + 1):
            deal.refresh_from_db()
            _ready_for(deal, stages[order], rep)
            try:
                opportunity_move(opportunity=deal, to_stage=stages[order], actor=rep)
            except RequirementsMissing:  # not everyone is known yet: the manager moves it on, saying why
                opportunity_move(
                    opportunity=deal, to_stage=stages[order], actor=customer.owner.team.manager,
                    reason="客户总经理已口头确认，先推进，本周补齐联系人。",
                )  # fmt: skip
        if outcome == Outcome.WON:
            opportunity_win(opportunity=deal, actor=rep, reason=reasons[Outcome.WON][index % 3])
        elif outcome == Outcome.LOST:
            opportunity_lose(
                opportunity=deal, actor=rep, reason=reasons[Outcome.LOST][index % 2], won_by=competitors[0][0]
            )
        if outcome is None:
            _date_back(deal, days_in_stage=(index * 11) % 50 + 2)
    stdout.write(f"Demo deals: {min(len(customers), len(DEALS))} created.")
