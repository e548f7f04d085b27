import pytest

from crm.normalize import normalize_name, normalize_phone, pinyin_keys, split_phones


class TestNormalizeName:
    @pytest.mark.parametrize(
        "spelling",
        [
            "青岛杰航机械有限公司",
            "青岛杰航机械有限责任公司",
            "青岛杰航机械有限責任公司",
            "青岛杰航机械股份有限公司",
            "青岛 杰航机械 股份有限公司",
            "青岛杰航机械有限 公司",
            "青岛杰航机械集团有限公司",
            "青岛杰航机械集团股份有限公司",
            "青岛杰航集团机械有限公司",
            "青岛杰航机械公司",
            "青岛杰航机械",
            "青島傑航機械有限公司",
            "青岛杰航(机械)有限公司",
            "青岛杰航（机械）有限公司",
            "【青岛杰航机械】有限公司",
            "  青岛杰航机械有限公司\n",
            "青岛杰航机械Co., Ltd.",
        ],
    )
    def test_chinese_spellings_of_one_company_collide(self, spelling):
        assert normalize_name(spelling) == "青岛杰航机械"

    @pytest.mark.parametrize(
        "spelling",
        [
            "Qingdao Jiehang Machinery Co., Ltd.",
            "Qingdao Jiehang Machinery Co.,Ltd.",
            "Qingdao Jiehang Machinery Co.Ltd",
            "QINGDAO JIEHANG MACHINERY CO LTD",
            "qingdao jiehang machinery co ltd",
            "Qingdao Jiehang Machinery Company Limited",
            "Qingdao Jiehang Machinery Corp.",
            "Qingdao Jiehang Machinery Corporation",
            "Qingdao Jiehang Machinery Inc.",
            "Qingdao Jiehang Machinery LLC",
            "Qingdao Jiehang Machinery GmbH",
            "Qingdao Jiehang Machinery Group",
            "Qingdao Jiehang Machinery Group Co., Ltd.",
            "Qingdao Jiehang-Machinery Co., Ltd.",
            "Ｑｉｎｇｄａｏ Ｊｉｅｈａｎｇ Ｍａｃｈｉｎｅｒｙ Ｃｏ．，Ｌｔｄ．",
        ],
    )
    def test_english_spellings_of_one_company_collide(self, spelling):
        assert normalize_name(spelling) == "qingdaojiehangmachinery"

    @pytest.mark.parametrize(
        ("name", "key"),
        [
            # Legal-form words inside other words are part of the name.
            ("Cotton Incline Co-op Ltd", "cottoninclinecoop"),
            ("Groupon Company", "groupon"),
            ("Limitless Machinery Ltd", "limitlessmachinery"),
            # 公司 is a legal form only at the end.
            ("杰航公司机械厂", "杰航公司机械厂"),
            # A branch keeps its place name, so it does not collide with the head office.
            ("青岛杰航机械有限公司济南分公司", "青岛杰航机械济南"),
            ("ＡＢＣ机械", "abc机械"),
            ("Müller Maschinenbau GmbH", "müllermaschinenbau"),
        ],
    )
    def test_keys(self, name, key):
        assert normalize_name(name) == key

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("青岛杰航机械有限公司", "青岛杰峰机械有限公司"),
            ("青岛杰航机械有限公司", "烟台杰航机械有限公司"),
            ("青岛杰航机械有限公司", "青岛杰航机电有限公司"),
            ("青岛杰航机械有限公司", "青岛杰航机械有限公司济南分公司"),
            ("Qingdao Jiehang Machinery Co., Ltd.", "Qingdao Jiefeng Machinery Co., Ltd."),
            ("Jiehang Machinery", "Jiehang Machinery 2"),
        ],
    )
    def test_different_companies_stay_apart(self, first, second):
        assert normalize_name(first) != normalize_name(second)

    def test_traditional_vocabulary_is_not_swapped_for_mainland_words(self):
        # zhconv's "zh-cn" would turn 網路 into 网络 but leave 网路 alone, splitting one name in two.
        assert normalize_name("台灣網路科技有限公司") == normalize_name("台湾网路科技有限公司") == "台湾网路科技"
        assert normalize_name("軟體開發有限公司") == "软体开发"

    def test_a_name_of_legal_forms_only_gives_an_empty_key(self):
        assert normalize_name("有限公司") == ""
        assert normalize_name("Co., Ltd.") == ""


class TestNormalizePhone:
    @pytest.mark.parametrize(
        "phone",
        [
            "13800138000",
            "+86 138 0013 8000",
            "+8613800138000",
            "(+86) 138-0013-8000",
            "0086-13800138000",
            "0086 138 0013 8000",
            "8613800138000",
            "86 138 0013 8000",
            "138-0013-8000",
            "138 0013 8000",
            "１３８００１３８０００",
            "＋８６ １３８ ００１３ ８０００",
            "手机：13800138000",
        ],
    )
    def test_mobile_forms(self, phone):
        assert normalize_phone(phone) == "13800138000"

    @pytest.mark.parametrize(
        "phone",
        [
            "0532-88886666",
            "0532 8888 6666",
            "(0532) 88886666",
            "０５３２－８８８８６６６６",
            "+86 532 8888 6666",
            "+86-532-88886666",
            "0086 532 88886666",
            "0086 0532 88886666",
            "电话：0532-88886666",
            "Fax: 0532-88886666",
        ],
    )
    def test_landline_keeps_its_area_code(self, phone):
        assert normalize_phone(phone) == "053288886666"

    @pytest.mark.parametrize(
        "phone",
        [
            "0532-88886666 转 8001",
            "0532-88886666转8001",
            "0532-88886666 轉 8001",
            "0532-88886666 分机 8001",
            "0532-88886666（分机8001）",
            "0532-88886666 ext. 8001",
            "0532-88886666 EXT 8001",
            "0532-88886666 x8001",
            "0532-88886666#8001",
        ],
    )
    def test_extension_is_dropped(self, phone):
        assert normalize_phone(phone) == "053288886666"

    @pytest.mark.parametrize(
        ("phone", "digits"),
        [
            ("88886666", "88886666"),
            ("8888666", "8888666"),
            # 86 before something other than a mobile is part of a local number, not the country code.
            ("86881234", "86881234"),
            ("400-820-8820", "4008208820"),
            ("010-8888 6666", "01088886666"),
        ],
    )
    def test_other_numbers_keep_all_digits(self, phone, digits):
        assert normalize_phone(phone) == digits

    @pytest.mark.parametrize("phone", ["", "   ", "123456", "无", "转 8001", "+86"])
    def test_fewer_than_seven_digits_give_empty(self, phone):
        assert normalize_phone(phone) == ""


class TestSplitPhones:
    @pytest.mark.parametrize(
        ("text", "numbers"),
        [
            ("13800138000", ["13800138000"]),
            ("13800138000,13900139000", ["13800138000", "13900139000"]),
            ("13800138000，13900139000", ["13800138000", "13900139000"]),
            ("13800138000;13900139000；0532-88886666", ["13800138000", "13900139000", "053288886666"]),
            ("13800138000/13900139000、0532-88886666", ["13800138000", "13900139000", "053288886666"]),
            ("13800138000\n13900139000\r\n", ["13800138000", "13900139000"]),
            ("13800138000 13900139000", ["13800138000", "13900139000"]),
            ("13800138000\t13900139000", ["13800138000", "13900139000"]),
        ],
    )
    def test_splits_on_separators(self, text, numbers):
        assert split_phones(text) == numbers

    @pytest.mark.parametrize(
        ("text", "numbers"),
        [
            ("+86 138 0013 8000", ["13800138000"]),
            ("+86 138 0013 8000 0532 8888 6666", ["13800138000", "053288886666"]),
            ("0532 88886666 13800138000", ["053288886666", "13800138000"]),
            ("86 138 0013 8000, 400 820 8820", ["13800138000", "4008208820"]),
            ("86881234 13800138000", ["86881234", "13800138000"]),
            ("8888 6666 13800138000", ["88886666", "13800138000"]),
        ],
    )
    def test_spaces_inside_a_number_do_not_split_it(self, text, numbers):
        assert split_phones(text) == numbers

    def test_duplicates_are_dropped_and_order_kept(self):
        text = "0532-88886666, 13800138000 / +86 138-0013-8000；(0532) 8888 6666、13900139000"
        assert split_phones(text) == ["053288886666", "13800138000", "13900139000"]

    def test_extension_stays_with_its_number(self):
        assert split_phones("0532-88886666 转 8001, 13800138000") == ["053288886666", "13800138000"]

    @pytest.mark.parametrize("text", ["", "  ", ",，;/、\n", "无", "见备注"])
    def test_nothing_usable_gives_empty_list(self, text):
        assert split_phones(text) == []


class TestPinyinKeys:
    @pytest.mark.parametrize(
        ("name", "keys"),
        [
            ("青岛杰航机械有限公司", ("qingdaojiehangjixie", "qdjhjx")),
            ("青島傑航機械股份有限公司", ("qingdaojiehangjixie", "qdjhjx")),
            ("青岛杰航（机械）有限公司", ("qingdaojiehangjixie", "qdjhjx")),
            ("重庆重型机械集团", ("chongqingzhongxingjixie", "cqzxjx")),
            ("厦门银行", ("xiamenyinhang", "xmyh")),
            ("绿地机械", ("lvdijixie", "ldjx")),
        ],
    )
    def test_full_pinyin_and_initials(self, name, keys):
        assert pinyin_keys(name) == keys

    def test_latin_letters_and_digits_are_kept_as_they_are(self):
        assert pinyin_keys("青岛ABC机械3厂有限公司") == ("qingdaoabcjixie3chang", "qdabcjx3c")

    def test_english_name_is_its_own_key(self):
        assert pinyin_keys("Qingdao Jiehang Machinery Co., Ltd.") == (
            "qingdaojiehangmachinery",
            "qingdaojiehangmachinery",
        )

    def test_initials_find_the_company_by_prefix(self):
        _, initials = pinyin_keys("青岛杰航机械有限公司")
        assert initials.startswith("qdjh")
