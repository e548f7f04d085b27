"""The search box (crm.search): what each key matches, who sees what, and a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import RECENT_CUSTOMERS_KEPT, Contact, ContactPhone, Customer, RecentCustomer
from crm.normalize import person_name_keys, phone_search_digits
from crm.search import HIDDEN_CUSTOMERS, recent_customers, search
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from visits.models import Visit
from visits.services import visit_log

pytestmark = pytest.mark.django_db


def names(results):
    return [customer.name for customer in results.customers]


def contact_names(results):
    return [contact.name for contact in results.contacts]


@pytest.fixture
def jiehang(rep):
    customer = CustomerFactory(
        name="青岛杰航精密机械有限公司", owner=rep, phones="0532-88886666", credit_code="91370200MA3C5Q8X2K"
    )
    ContactFactory(customer=customer, name="王晓明", phones="138 0013 8000")
    return customer


@pytest.fixture
def colleague(team):
    return UserFactory(role="rep", team=team, first_name="Qiao", last_name="Zhuoran")


class TestMatching:
    @pytest.mark.parametrize(
        "text",
        [
            "杰航",  # a part of the name
            "杰航精密机械",
            "青島傑航精密機械",  # traditional spelling: the normalized name
            "jiehang",  # pinyin
            "qdjh",  # initials
            "91370200",  # the start of the credit code
            "6666",  # the last four digits of the customer's phone (尾号)
            "886666",  # the last six
            "3288886",  # seven digits anywhere in it
            "0532-8888 6666",  # the whole number as written
        ],
    )
    def test_the_customer_is_found_by(self, rep, jiehang, text):
        assert names(search(rep, text)) == [jiehang.name]

    @pytest.mark.parametrize(
        "text", ["王晓明", "晓明", "wangxiaoming", "xiaoming", "wxm", "38000", "8000", "1380013", "+86 138 0013 8000"]
    )
    def test_the_contact_is_found_by(self, rep, jiehang, text):
        results = search(rep, text)
        assert contact_names(results) == ["王晓明"]
        assert results.contacts[0].customer == jiehang

    def test_four_digits_of_a_contacts_mobile_find_the_contact_and_its_customer(self, rep, jiehang):
        results = search(rep, "8000")  # the last digits a missed call shows
        assert contact_names(results) == ["王晓明"] and names(results) == [jiehang.name]

    def test_two_letters_match_at_the_start_only(self, rep, jiehang):
        """Too short to find inside a name through an index: the start of a name, its initials, a credit code."""
        abb = CustomerFactory(name="ABB (中国) 有限公司", owner=rep)
        CustomerFactory(name="CABLE 线缆贸易", owner=rep)  # holds "ab", at the third letter
        assert names(search(rep, "ab")) == [abb.name]
        assert names(search(rep, "qd")) == [jiehang.name]  # 青岛…: the initials' start
        assert names(search(rep, "91")) == [jiehang.name]  # the credit code's start
        assert search(rep, "ji").empty  # inside the pinyin (qingdaojiehang): three letters are needed
        assert names(search(rep, "jie")) == [jiehang.name]
        assert contact_names(search(rep, "wx")) == ["王晓明"]  # a contact's initials
        assert contact_names(search(rep, "xm")) == []

    def test_two_chinese_characters_are_found_anywhere(self, rep, jiehang):
        assert names(search(rep, "精密")) == [jiehang.name]
        assert contact_names(search(rep, "晓明")) == ["王晓明"]

    @pytest.mark.parametrize("text", ["888", "13", "0 0 1"])
    def test_fewer_than_four_digits_match_no_phone(self, rep, jiehang, text):
        assert search(rep, text).empty

    @pytest.mark.parametrize("text", ["8888", "0013", "138001"])
    def test_up_to_six_digits_are_a_numbers_tail_not_any_part_of_it(self, rep, jiehang, text):
        results = search(rep, text)
        assert results.empty and results.phone_tail == text
        assert search(rep, "8000").phone_tail == "8000" and search(rep, "3288886").phone_tail == ""

    def test_the_page_says_short_digits_were_looked_for_at_the_end(self, rep_client, jiehang):
        for headers in [{}, {"HX-Request": "true"}]:
            html = rep_client.get(reverse("search"), {"q": "0013"}, headers=headers).content.decode()
            assert "Phone numbers ending in 0013" in html and "seven or more digits" in html
        html = rep_client.get(reverse("search"), {"q": "1380013"}).content.decode()
        assert "ending in" not in html and "王晓明" in html

    def test_a_changed_contact_phone_is_searched_as_changed(self, rep, jiehang):
        contact = Contact.objects.get(name="王晓明")
        contact.phones = "139 1111 2222"
        contact.save()
        assert search(rep, "8000").empty
        assert contact_names(search(rep, "2222")) == ["王晓明"]

    def test_contacts_made_in_bulk_get_their_keys_and_phones(self, rep, jiehang):
        Contact.objects.bulk_create([Contact(customer=jiehang, name="赵大勇", phones="13977778888")])
        assert ContactPhone.objects.filter(contact__name="赵大勇", number="13977778888").exists()
        assert contact_names(search(rep, "zdy")) == ["赵大勇"]

    def test_nothing_for_a_single_character_or_blank(self, rep, jiehang):
        assert search(rep, "杰").empty and search(rep, "  ").empty and search(rep, "\x00杰航").empty

    def test_reps_are_found_by_managers_only(self, rep, manager, colleague, jiehang):
        assert [user.pk for user in search(manager, "zhuoran").reps] == [colleague.pk]
        assert search(rep, "zhuoran").reps == []

    def test_the_best_hit_is_the_first_customer_then_contact(self, rep, jiehang):
        assert search(rep, "杰航").best_url == reverse("crm:customer_detail", args=[jiehang.pk])
        assert search(rep, "王晓明").best_url == reverse("crm:customer_detail", args=[jiehang.pk])
        assert search(rep, "不存在的公司").best_url is None


def test_person_name_keys():
    assert person_name_keys("王 晓明") == ("wangxiaoming", "wxm")
    assert person_name_keys("Anna Li") == ("annali", "annali")


@pytest.mark.parametrize(
    ("text", "digits"),
    [("8000", "8000"), ("138-0013", "1380013"), ("+86 138 0013 8000", "13800138000"), ("123", ""), ("杰航12345", "")],
)
def test_phone_search_digits(text, digits):
    assert phone_search_digits(text) == digits


class TestVisibility:
    def test_a_colleagues_customer_is_only_named_with_its_holder(self, rep, colleague, rep_client):
        theirs = CustomerFactory(name="烟台恒锐重工有限公司", owner=colleague, phones="0535-66667777")
        ContactFactory(customer=theirs, name="孙立新", phones="13655556666")
        results = search(rep, "恒锐")
        assert results.customers == [] and results.hidden == [theirs]
        assert search(rep, "孙立新").empty  # a contact of a customer the rep may not see is not revealed
        assert search(rep, "6666").contacts == [] and search(rep, "6666").hidden == [theirs]
        response = rep_client.get(reverse("search"), {"q": "恒锐"}, headers={"HX-Request": "true"})
        html = response.content.decode()
        assert f"“烟台恒锐重工有限公司” is already registered: {colleague} holds it." in html
        assert reverse("crm:customer_detail", args=[theirs.pk]) not in html
        assert "0535" not in html

    def test_the_manager_sees_the_teams_customers_and_contacts(self, manager, colleague):
        theirs = CustomerFactory(name="烟台恒锐重工有限公司", owner=colleague)
        ContactFactory(customer=theirs, name="孙立新")
        assert names(search(manager, "恒锐")) == [theirs.name] and search(manager, "恒锐").hidden == []
        assert contact_names(search(manager, "孙立新")) == ["孙立新"]

    def test_pool_customers_are_visible(self, rep):
        pooled = CustomerFactory(name="威海海川机床有限公司", owner=None, pool_reason="imported")
        assert search(rep, "海川").customers == [pooled]

    def test_visible_and_hidden_split_every_customer(self, rep, manager, admin_user, colleague):
        other_team_rep = UserFactory(role="rep")
        for owner in [rep, colleague, other_team_rep, manager, None]:
            CustomerFactory(owner=owner)
        for user, by_id in [(rep, False), (manager, False), (manager, True), (admin_user, False)]:
            visible = set(Customer.objects.visible_to(user, people_as_ids=by_id).values_list("pk", flat=True))
            hidden = set(Customer.objects.hidden_from(user, people_as_ids=by_id).values_list("pk", flat=True))
            assert not visible & hidden
            assert visible | hidden == set(Customer.objects.values_list("pk", flat=True))
            if user == manager:  # the same split either way: the team's four and the pool's
                assert visible == set(Customer.objects.exclude(owner=other_team_rep).values_list("pk", flat=True))


class TestQueryCount:
    def make(self, owner, count, start):
        for n in range(start, start + count):
            customer = CustomerFactory(name=f"潍坊远航{n}号机械有限公司", owner=owner, phones=f"0536-6{n:07d}")
            ContactFactory(customer=customer, name=f"张远航{n}", phones=f"1390000{n:04d}")

    @pytest.mark.parametrize("text", ["远航", "yuanhang", "0000", "张远航", "有限公司", "wf"])
    def test_constant_as_data_grows(self, rep, manager, colleague, django_assert_num_queries, text):
        self.make(rep, 2, 0)
        self.make(colleague, 2, 2)
        # A manager's search also finds reps (not for phone digits) and reads their people's ids, once for all groups.
        for_manager = 5 if not text.isdigit() else 4
        with django_assert_num_queries(3):
            search(rep, text)
        with django_assert_num_queries(for_manager):
            search(manager, text)
        self.make(rep, 12, 10)
        self.make(colleague, 12, 30)
        with django_assert_num_queries(3):
            results = search(rep, text)
        assert results.customers or results.contacts
        manager = type(manager).objects.get(pk=manager.pk)  # a new request's user, without the ids read above
        with django_assert_num_queries(for_manager):
            search(manager, text)

    def test_phone_digits_read_the_customers_numbers_once_for_both_groups(self, rep, colleague):
        # More hidden matches than the box shows, all with shorter names: the visible ones are still found.
        hidden = [CustomerFactory(name=f"烟台{n}号厂", owner=colleague, phones=f"0535-611{n}6688") for n in range(9)]
        visible = [
            CustomerFactory(name=f"青岛杰航{n}号精密机械有限公司", owner=rep, phones=f"0532-8{n}886688")
            for n in range(2)
        ]
        with CaptureQueriesContext(connection) as captured:
            results = search(rep, "6688")
        assert results.customers == visible
        assert results.hidden == hidden[:HIDDEN_CUSTOMERS]
        # One read of the customers' numbers hands over both groups (the contacts' group reads only contacts').
        assert sum("crm_customerphone" in query["sql"] for query in captured.captured_queries) == 1

    def test_the_dropdown_and_the_page_do_not_grow(self, rep_client, rep, colleague, django_assert_max_num_queries):
        self.make(rep, 2, 0)
        url = reverse("search")
        with django_assert_max_num_queries(12) as small:
            rep_client.get(url, {"q": "远航"}, headers={"HX-Request": "true"})
        self.make(rep, 15, 10)
        self.make(colleague, 15, 40)
        with django_assert_max_num_queries(12) as large:
            rep_client.get(url, {"q": "远航"}, headers={"HX-Request": "true"})
        assert len(large.captured_queries) == len(small.captured_queries)


class TestRecentCustomers:
    def test_newest_first_and_at_most_ten_shown_twenty_kept(self, rep):
        customers = [CustomerFactory(owner=rep) for _ in range(25)]
        for customer in customers:
            RecentCustomer.objects.note(user=rep, customer=customer)
        RecentCustomer.objects.note(user=rep, customer=customers[0])  # opened again: first, not twice
        shown = recent_customers(rep)
        assert shown == [customers[0], *reversed(customers[-9:])]
        assert RecentCustomer.objects.filter(user=rep).count() == RECENT_CUSTOMERS_KEPT

    def test_only_customers_still_visible(self, rep, colleague):
        mine, moved = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
        for customer in [mine, moved]:
            RecentCustomer.objects.note(user=rep, customer=customer)
        Customer.objects.filter(pk=moved.pk).update(owner=colleague)
        assert recent_customers(rep) == [mine]

    def test_each_user_has_their_own(self, rep, manager):
        customer = CustomerFactory(owner=rep)
        RecentCustomer.objects.note(user=manager, customer=customer)
        assert recent_customers(rep) == [] and recent_customers(manager) == [customer]

    def test_opening_the_card_and_logging_a_visit_note_the_customer(self, rep_client, rep):
        opened, logged = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
        rep_client.get(reverse("crm:customer_detail", args=[opened.pk]))
        visit_log(visit=Visit(customer=logged, method="phone", started_at=timezone.now(), discussion="报价"), actor=rep)
        assert recent_customers(rep) == [logged, opened]

    def test_the_empty_box_shows_them(self, rep_client, rep):
        customer = CustomerFactory(owner=rep, name="日照港机装备有限公司")
        RecentCustomer.objects.note(user=rep, customer=customer)
        response = rep_client.get(reverse("search"), {"q": ""}, headers={"HX-Request": "true"})
        assert 'data-testid="search-recent"' in response.content.decode()
        assert "日照港机装备有限公司" in response.content.decode()


class TestPages:
    def test_the_results_page_without_javascript(self, rep_client, jiehang):
        response = rep_client.get(reverse("search"), {"q": "6666"})
        assert response.status_code == 200
        assert reverse("crm:customer_detail", args=[jiehang.pk]) in response.content.decode()

    def test_a_full_page_of_customers_links_to_every_match_in_the_list(self, rep_client, rep):
        for n in range(8):
            CustomerFactory(name=f"日照港机{n}号装备有限公司", owner=rep)
        html = rep_client.get(reverse("search"), {"q": "日照 港机"}).content.decode()
        assert 'data-testid="search-every-customer"' in html
        assert reverse("crm:customer_list") + "?q=%E6%97%A5%E7%85%A7%20%E6%B8%AF%E6%9C%BA" in html
        popup = rep_client.get(reverse("search"), {"q": "日照 港机"}, headers={"HX-Request": "true"}).content.decode()
        assert 'data-testid="search-every-customer"' in popup and 'data-testid="search-results"' in popup
        html = rep_client.get(reverse("search"), {"q": "日照港机1"}).content.decode()
        assert "日照港机1号装备有限公司" in html and "search-every-customer" not in html  # all of them shown

    def test_every_page_has_the_search_box_and_the_shortcuts(self, rep_client):
        html = rep_client.get(reverse("crm:customer_list")).content.decode()
        assert 'id="search-input"' in html and 'role="combobox"' in html and 'id="shortcuts-help"' in html
        assert "js/search.js" in html
