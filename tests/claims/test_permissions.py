"""Who decides a dispute (DOMAIN §5.7): never a party to it; the one rule behind service, pages, queue and badge."""

import pytest

from claims.models import ArbiterReason, Dispute, OwnershipPolicy
from claims.navigation import open_disputes_count
from claims.permissions import can_decide_dispute, disputes_decidable_by
from claims.services import dispute_open
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HOLDERS_NAME = "青岛杰航机械有限公司"
CHALLENGERS_NAME = "青岛杰航机械有限责任公司"


def collide(register, holder, challenger):
    register(holder, HOLDERS_NAME)
    return register(challenger, CHALLENGERS_NAME, phones="0532-87776666").dispute


def deciders(dispute, *people):
    return [person for person in people if can_decide_dispute(person, dispute)]


def test_inside_a_team_its_manager_decides(register, rep, manager, admin_user):
    dispute = collide(register, rep, UserFactory(team=rep.team))
    assert (dispute.team, dispute.arbiter_reason) == (rep.team, ArbiterReason.TEAM)
    assert deciders(dispute, manager, admin_user, dispute.holder, dispute.challenger) == [manager, admin_user]
    assert dispute.decider_text == f"Decided by the team's manager, {manager} ({rep.team})."


@pytest.mark.parametrize("manager_is", ["holder", "challenger"])
def test_a_manager_who_is_a_party_leaves_it_to_the_admins(register, rep, manager, admin_user, manager_is):
    if manager_is == "holder":  # his own rep registers the customer he holds: a collision
        dispute = collide(register, manager, rep)
    else:  # he says he was first with his rep's customer
        customer = register(rep, HOLDERS_NAME).customer
        dispute = dispute_open(customer=customer, actor=manager, statement="我去年在展会上先接触的")
    assert (dispute.team, dispute.arbiter_reason) == (None, ArbiterReason.MANAGER_IS_PARTY)
    assert deciders(dispute, manager, rep, admin_user) == [admin_user]
    assert dispute.decider_text == "Decided by an admin: the team's manager is a party."
    assert list(Dispute.objects.for_admins()) == [dispute]
    assert (open_disputes_count(manager), open_disputes_count(admin_user)) == (0, 1)


def test_a_manager_who_became_a_party_after_the_opening_cannot_decide(register, rep, manager, admin_user):
    """The team's manager changed to someone in the dispute: the rule looks at today's manager."""
    dispute = collide(register, rep, UserFactory(team=rep.team))
    dispute.challenger.role = "manager"
    dispute.challenger.save()
    rep.team.manager = dispute.challenger
    rep.team.save()
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert deciders(dispute, dispute.challenger, manager, admin_user) == [admin_user]
    assert dispute.decider_text == "Decided by an admin: the team's manager is a party."
    assert list(Dispute.objects.for_admins()) == [dispute]


def test_an_admin_who_is_a_party_leaves_it_to_another_admin(register, rep, manager):
    holder = UserFactory(team=TeamFactory())
    dispute = collide(register, holder, rep)
    holder.role = "admin"  # a rep who held customers became an admin
    holder.save()
    other_admin = UserFactory(role="admin")
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert deciders(dispute, holder, other_admin, manager) == [other_admin]
    assert dispute.decider_text == (
        f"Decided by an admin: the reps are in different teams. {holder}, a party, may not decide it: "
        "another admin must."
    )
    assert list(disputes_decidable_by(holder)) == []


def test_across_teams_or_by_policy_an_admin_decides(register, rep, admin_user):
    dispute = collide(register, rep, UserFactory(team=TeamFactory()))
    assert (dispute.team, dispute.arbiter_reason) == (None, ArbiterReason.ACROSS_TEAMS)
    assert dispute.decider_text == "Decided by an admin: the reps are in different teams."
    policy = OwnershipPolicy.current()
    policy.arbiter = "admin"
    policy.save()
    customer = dispute.customer
    other = register(UserFactory(team=rep.team), "青岛杰航机械股份有限公司", phones="0532-85554444").dispute
    assert other.customer == customer
    assert (other.team, other.arbiter_reason) == (None, ArbiterReason.POLICY)
    assert other.decider_text == "Decided by an admin: the policy has admins decide every dispute."
