"""Demo cases in several states so the queue, the case page and "my cases" show something real."""

from datetime import timedelta

from django.db import transaction

from aftersales.models import User
from tickets.models import Ticket
from tickets.services.repairs import RepairFacts
from tickets.services.tickets import ticket_create, ticket_transition
from warranty.models import Unit


@transaction.atomic
def seed(*, now) -> None:
    if Ticket.objects.exists():
        return
    desk = User.objects.get(username="desk")
    engineer = User.objects.get(username="engineer")
    units = {unit.serial: unit for unit in Unit.objects.all()}
    plans = [
        ("LSVE5000000000001", "critical", "仪表盘报警，车辆无法启动", 20, ["assign"]),
        ("LSVE5000000000003", "major", "制动异响再次出现", 300, ["assign", "contact", "wait_parts"]),
        ("MONUPS20K0000007", "critical", "UPS 监控主机离线，机房告警", 45, ["assign", "start_remote"]),
        ("TV55U000000000005", "minor", "开机偶尔黑屏", 1500, ["assign", "check_in", "resolve"]),
        (None, "minor", "咨询保养周期", 90, []),
    ]
    for serial, severity, description, minutes_ago, actions in plans:
        unit = units.get(serial) if serial else None
        reported = now - timedelta(minutes=minutes_ago)
        ticket = ticket_create(
            actor=desk,
            channel="phone",
            reporter_name=unit.customer.name if unit else "陈先生",
            contact_phone=unit.customer.phone if unit else "13600000000",
            description=description,
            severity=severity,
            unit=unit,
            reported_at=reported,
            now=reported,
        )
        at = reported
        for action in actions:
            at += timedelta(minutes=5)
            ticket = ticket_transition(
                ticket=ticket,
                action=action,
                actor=desk if action == "assign" else engineer,
                engineer=engineer if action == "assign" else None,
                repair=RepairFacts(problem_code="display_black", findings="主板排线松动", work_done="重新插接排线")
                if action == "resolve"
                else None,
                now=min(at, now),
            )
    seed_activity(now=now)


def seed_activity(*, now) -> None:
    """Work on the demo cases (calls, parts, a follow-up due, escalations fired) and the visit calendar of
    contract HT-2026-0018, so the timeline, the inbox, the home pages and the calendar show something real."""
    from decimal import Decimal

    from tickets.models import Visit, VisitPlan
    from tickets.services.escalation import sla_sweep
    from tickets.services.visits import visits_generate
    from tickets.services.work import charge_line_add, worklog_add
    from warranty.models import ServiceContract

    engineer = User.objects.get(username="engineer")
    waiting = Ticket.objects.filter(description="制动异响再次出现").first()
    if waiting is not None:
        worklog_add(ticket=waiting, actor=engineer, kind="call", summary="与客户确认异响出现的车速", now=now)
        charge_line_add(
            ticket=waiting,
            actor=engineer,
            kind="part",
            description="制动片（前）",
            part_number="BRK-PAD-F",
            quantity=Decimal("1"),
            unit_price=Decimal("0"),
            now=now,
        )
    resolved = Ticket.objects.filter(description="开机偶尔黑屏").first()
    if resolved is not None:
        ticket_transition(ticket=resolved, action="confirm", actor=engineer, now=now)
    sla_sweep(now=now)
    plan, _created = VisitPlan.objects.get_or_create(
        code="premium", defaults={"name": "高级维保 / Premium care", "phone_per_year": 12, "onsite_per_year": 4}
    )
    contract = ServiceContract.objects.filter(number="HT-2026-0018").first()
    if contract is not None:
        contract.visit_plan = plan.code
        contract.save(update_fields=["visit_plan"])
        today = now.date()
        visits_generate(today=today, horizon_days=45, now=now)
        Visit.objects.get_or_create(
            contract=contract,
            slot="demo#onsite#today",
            defaults={
                "plan": plan,
                "kind": Visit.Kind.ONSITE,
                "due_on": today,
                "assigned_to": engineer,
                "created_at": now,
            },
        )
