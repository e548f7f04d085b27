"""Logging a visit without signal, in chromium on a phone: kept on the phone through a reload, sent once when the
signal is back, and when refused kept with its reason. The service worker serves the kept pages offline."""

import datetime
import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, at_path, screenshot
from tests.evidence import samples
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from tests.polling import wait_until
from visits.models import Reminder, ReminderKind, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DISCUSSION = "厂里没有信号：电话确认下周二到厂演示五轴加工中心。"


def chinese(message, count=None):
    """The words a Chinese user sees (English in a worktree whose catalogue has not had them merged yet)."""
    with translation.override("zh-hans"):
        words = gettext(message)
    return words.replace("{n}", str(count)) if count is not None else words


@pytest.fixture
def phone(browser, live_server, login):
    """A touch phone at 375×812 in Chinese, signed in as `user`, its service worker installed and in control."""
    contexts = []

    def make(user):
        context = browser.new_context(
            viewport=PHONE, has_touch=True, base_url=live_server.url, locale="zh-CN", service_workers="allow"
        )
        contexts.append(context)
        page = context.new_page()
        login(page, user, "zh-hans")
        page.goto("/day/")
        active = "navigator.serviceWorker.getRegistration().then((registration) => Boolean(registration?.active))"
        wait_until(lambda: page.evaluate(active))
        if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
            page.reload()  # a page that loaded while the worker installed is not claimed every time; the next one is
        wait_until(lambda: page.evaluate("Boolean(navigator.serviceWorker.controller)"))
        return page

    yield make
    for context in contexts:
        context.close()


def kept_pages(page):
    return page.evaluate(
        "caches.open('crm-pages').then((cache) => cache.keys())"
        ".then((requests) => requests.map((request) => new URL(request.url).pathname))"
    )


def queued(page):
    return page.evaluate("crmVisitQueue.all()")


@pytest.fixture
def day_customer(rep):
    customer = CustomerFactory(name="青岛杰航机械有限公司", owner=rep, grade="A")
    ContactFactory(customer=customer, name="王建国", is_primary=True)
    Reminder.objects.create(customer=customer, assignee=rep, kind=ReminderKind.CADENCE, due_on=timezone.localdate())
    return customer


def log_offline(page, customer, **fields):
    """Open the customer's visit form without signal (from the worker's copy) and save a visit."""
    page.context.set_offline(True)
    assert page.goto(f"/customers/{customer.pk}/log/").from_service_worker
    page.wait_for_selector("form[data-offline-ready]")
    page.select_option("#id_method", "phone")
    page.fill("#id_discussion", DISCUSSION)
    for selector, value in fields.items():
        page.fill(f"#id_{selector}", value)
    page.locator("form[data-offline-form] button[type=submit]").tap()
    wait_until(lambda: len(queued(page)) == 1)


def test_a_visit_logged_offline_survives_a_reload_and_is_sent_once(phone, rep, day_customer):
    page = phone(rep)
    # My day asked the worker to keep its customers' cards and visit forms.
    wait_until(lambda: f"/customers/{day_customer.pk}/log/" in kept_pages(page))

    log_offline(page, day_customer)
    box = page.get_by_test_id("offline-queue")
    expect(box.locator("[data-queue-summary]")).to_have_text(chinese("Waiting to send ({n})", 1))
    assert page.locator("#id_discussion").input_value() == ""  # a fresh form for the next one
    assert page.reload().from_service_worker  # still without signal: the worker's copy; the visit is still here
    expect(box.locator("[data-queue-summary]")).to_have_text(chinese("Waiting to send ({n})", 1))
    box.locator("summary").tap()
    assert page.locator("[data-draft]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "offline-waiting")
    assert not Visit.objects.exists()

    page.context.set_offline(False)  # the signal is back: `online` (and Background Sync) send it
    wait_until(lambda: Visit.objects.count() == 1 and not queued(page))
    wait_until(lambda: box.is_hidden())
    visit = Visit.objects.get()
    assert visit.discussion == DISCUSSION and visit.author == rep and visit.client_id is not None
    page.goto(f"/customers/{day_customer.pk}/")
    assert page.get_by_text(DISCUSSION).count() == 1


def test_the_same_visit_sent_twice_is_one_row(phone, rep, day_customer):
    page = phone(rep)
    page.goto(f"/customers/{day_customer.pk}/log/")
    page.fill("#id_discussion", DISCUSSION)
    page.locator("form[data-offline-form] button[type=submit]").tap()
    page.wait_for_url(at_path("/day/"))
    # The form kept it on the phone until the answer was seen; the next page sends it again: a duplicate.
    wait_until(lambda: not queued(page))
    assert Visit.objects.count() == 1
    kept = Visit.objects.get()
    # An answer lost on the way: the phone still holds the visit and sends it once more.
    page.evaluate(
        """(visit) => crmVisitQueue.put({id: visit.id, user: visit.user, url: visit.url, customer: "",
            createdAt: new Date().toISOString(), state: "waiting", reasons: [], fields: visit.fields})
            .then(() => crmVisitQueue.sendAll())""",
        {
            "id": str(kept.client_id),
            "user": str(rep.pk),
            "url": f"/customers/{day_customer.pk}/log/",
            "fields": [
                ["method", "phone"],
                ["started_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M")],
                ["discussion", DISCUSSION],
                ["client_id", str(kept.client_id)],
            ],
        },
    )
    assert not queued(page)
    assert Visit.objects.count() == 1


def test_a_refused_visit_stays_on_the_phone_with_its_reason(phone, rep, day_customer):
    page = phone(rep)
    wait_until(lambda: f"/customers/{day_customer.pk}/log/" in kept_pages(page))
    # A next step without its date passes the phone (the form does not check) and is refused by the server.
    log_offline(page, day_customer, next_step="到厂演示")
    page.context.set_offline(False)
    wait_until(lambda: [draft["state"] for draft in queued(page)] == ["refused"])
    box = page.get_by_test_id("offline-queue")
    wait_until(
        lambda: (
            box.locator("[data-queue-summary]").inner_text()
            == chinese("Not accepted ({n}): open to fix, or discard", 1)
        )
    )
    box.locator("summary").tap()
    draft = page.locator("[data-draft]")
    assert chinese("Give the next step a date.") in draft.inner_text()
    assert not Visit.objects.exists()
    screenshot(page, "offline-refused")

    # Opened to fix: the form holds what was typed; with the date added it is recorded under the same id.
    draft.get_by_role("link").tap()
    page.wait_for_selector("form[data-offline-ready]")
    assert page.locator("#id_discussion").input_value() == DISCUSSION
    assert page.locator("#id_next_step").input_value() == "到厂演示"
    page.fill("#id_next_step_due", (timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    page.locator("form[data-offline-form] button[type=submit]").tap()
    page.wait_for_url(at_path("/day/"))
    wait_until(lambda: not queued(page))
    assert Visit.objects.get().next_step == "到厂演示"


def test_a_customer_moved_meanwhile_keeps_the_visit_on_the_phone(phone, rep, day_customer):
    page = phone(rep)
    wait_until(lambda: f"/customers/{day_customer.pk}/log/" in kept_pages(page))
    log_offline(page, day_customer)
    day_customer.owner = UserFactory(team=TeamFactory())
    day_customer.save()
    page.context.set_offline(False)
    wait_until(lambda: [draft["state"] for draft in queued(page)] == ["refused"])
    assert queued(page)[0]["reasons"] == [chinese("This customer is no longer among yours.")]
    assert not Visit.objects.exists()


def test_signing_out_and_a_new_deploy_keep_a_waiting_visit(phone, login, rep, day_customer, monkeypatch):
    from visits import offline

    page = phone(rep)
    wait_until(lambda: f"/customers/{day_customer.pk}/log/" in kept_pages(page))
    log_offline(page, day_customer)
    page.context.clear_cookies()  # signed out meanwhile (an expired session, or a log out)
    page.context.set_offline(False)
    page.reload()
    assert page.url.endswith(f"/accounts/login/?next=/customers/{day_customer.pk}/log/")
    box = page.get_by_test_id("offline-queue")
    wait_until(lambda: box.locator("[data-queue-note]").inner_text() == chinese("Sign in to send them."))
    assert len(queued(page)) == 1 and not Visit.objects.exists()

    # A new deploy: the service worker changes, installs, takes over and clears its old caches.
    body = offline._cached_body()
    monkeypatch.setattr(offline, "_cached_body", lambda: body + "\n// the next deploy\n")
    assert (
        page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.getRegistration();
                await registration.update();
                const worker = registration.installing || registration.waiting;
                if (!worker) return "no new worker";
                if (worker.state !== "activated") {
                    await new Promise((done) =>
                        worker.addEventListener("statechange", () => worker.state === "activated" && done()));
                }
                return "activated";
            }"""
        )
        == "activated"
    )
    assert len(queued(page)) == 1

    login(page, rep, "zh-hans")  # signed in again: the next page sends it
    wait_until(lambda: Visit.objects.count() == 1 and not queued(page))
    assert Visit.objects.get().discussion == DISCUSSION


def test_a_form_refused_online_shows_its_errors_and_leaves_nothing_in_the_queue(phone, rep, day_customer):
    """With signal the form posts itself; the page of errors it gets back is the answer, not a refused draft."""
    page = phone(rep)
    page.goto(f"/customers/{day_customer.pk}/log/")
    page.wait_for_selector("form[data-offline-ready]")
    page.fill("#id_discussion", "")  # required: the server refuses it
    page.locator("form[data-offline-form] button[type=submit]").tap()
    page.wait_for_selector("[data-testid=error-summary]")
    page.wait_for_selector("form[data-offline-ready]")
    time.sleep(1)  # the page's own sending has run by now
    assert queued(page) == []
    assert page.get_by_test_id("offline-queue").is_hidden()
    assert not Visit.objects.exists()


def test_photos_wait_on_the_phone_with_their_visit_and_are_sent_with_it(phone, rep, day_customer, tmp_path):
    page = phone(rep)
    wait_until(lambda: f"/customers/{day_customer.pk}/log/" in kept_pages(page))
    photo = tmp_path / "铭牌.jpg"
    photo.write_bytes(samples.jpeg(size=(1200, 900)))
    page.context.set_offline(True)
    assert page.goto(f"/customers/{day_customer.pk}/log/").from_service_worker
    page.wait_for_selector("form[data-offline-ready]")
    page.fill("#id_discussion", DISCUSSION)
    page.set_input_files("#id_attachments_files", [str(photo)])
    page.locator("form[data-offline-form] button[type=submit]").tap()
    wait_until(lambda: [len(draft["files"]) for draft in queued(page)] == [1])

    page.context.set_offline(False)
    wait_until(lambda: Visit.objects.count() == 1 and not queued(page))
    visit = Visit.objects.get()
    assert visit.discussion == DISCUSSION
    wait_until(lambda: visit.attachments.filter(name="铭牌.jpg", state="ready").exists())  # eager: re-encoded at once
