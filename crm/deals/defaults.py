"""DOMAIN §6's six stages and a first list of close reasons: what the data migration seeds (and the tests seed
again after a transactional test's flush). Admins edit the rows, not this list."""

# order, English, Chinese, key milestone (English, Chinese), probability, usual days, entry requirements
STAGES = [
    (1, "Development", "客户开发", "Accurate project information", "准确的项目信息", 10, 30, []),
    (2, "Project approval", "立项", "Pre-sales project approved", "售前立项", 20, 30, ["need_confirmed"]),
    (3, "Proposal", "方案", "The buying roles won over", "有效的客户关系推进", 40, 45,
     ["need_confirmed", "technical_gatekeeper"]),
    (4, "Tender", "招投标", "Bid submitted or negotiated", "投标或议标", 60, 30, ["decision_maker", "coach"]),
    (5, "Negotiation & contract", "商务谈判/签约", "Contract approved and signed", "合同审批和合同签订", 80, 30,
     ["quote"]),
    (6, "Delivery & acceptance", "交付验收", "Installation accepted, project closed", "工程验收和项目结项", 95, 60,
     ["delivery_date"]),
]  # fmt: skip

REASONS = [
    ("won", 1, "Best technical solution", "技术方案最优"),
    ("won", 2, "Price and terms", "价格和条件"),
    ("won", 3, "Relationship and service", "关系和服务"),
    ("lost", 1, "Price", "价格"),
    ("lost", 2, "Technical capability", "技术能力"),
    ("lost", 3, "Delivery time", "交期"),
    ("lost", 4, "Relationship: the competitor was closer", "客户关系不如竞争对手"),
    ("lost", 5, "Budget cut", "预算取消"),
    ("abandoned", 1, "Project cancelled by the customer", "客户取消项目"),
    ("abandoned", 2, "No real need", "没有真实需求"),
    ("abandoned", 3, "Not worth pursuing", "不值得继续投入"),
]


def seed_defaults(Stage, CloseReason):  # noqa: N803 (model classes: the migration's or the app's)
    """Each default stage and reason that is not there yet."""
    for order, name_en, name_zh, milestone_en, milestone_zh, probability, days, requirements in STAGES:
        Stage.objects.get_or_create(
            order=order,
            defaults={
                "name_en": name_en, "name_zh": name_zh, "milestone_en": milestone_en, "milestone_zh": milestone_zh,
                "probability": probability, "usual_days": days, "requirements": requirements,
            },
        )  # fmt: skip
    for outcome, order, name_en, name_zh in REASONS:
        CloseReason.objects.get_or_create(
            outcome=outcome, name_en=name_en, defaults={"name_zh": name_zh, "order": order}
        )
