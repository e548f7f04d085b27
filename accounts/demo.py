"""Demo people: an admin, two managers each leading a team of three reps."""

from .models import Role, Team, User

DEMO_PASSWORD = "demo12345"

PEOPLE = [
    # username, last name, first name, role, team
    ("admin", "赵", "总监", Role.ADMIN, None),
    ("manager1", "王", "建国", Role.MANAGER, "青岛一组"),
    ("manager2", "李", "海燕", Role.MANAGER, "济南二组"),
    ("rep1", "张", "伟", Role.REP, "青岛一组"),
    ("rep2", "刘", "洋", Role.REP, "青岛一组"),
    ("rep3", "陈", "静", Role.REP, "青岛一组"),
    ("rep4", "杨", "磊", Role.REP, "济南二组"),
    ("rep5", "黄", "敏", Role.REP, "济南二组"),
    ("rep6", "周", "强", Role.REP, "济南二组"),
]


def seed(stdout):
    created = 0
    teams = {}
    for username, last_name, first_name, role, team_name in PEOPLE:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "last_name": last_name,
                "first_name": first_name,
                "role": role,
                "email": f"{username}@example.com",
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            created += 1
        if team_name:
            team, _ = Team.objects.get_or_create(name=team_name)
            teams[team_name] = team
            if role == Role.MANAGER and team.manager_id != user.pk:
                team.manager = user
                team.save(update_fields=["manager"])
            if user.team_id != team.pk:
                user.team = team
                user.save(update_fields=["team"])
    stdout.write(f"Demo people: {created} created, {len(PEOPLE) - created} already there.")


def print_logins(stdout):
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, _last, _first, role, team_name in PEOPLE:
        stdout.write(f"  {username:<10} {role.label:<10} {team_name or ''}")
