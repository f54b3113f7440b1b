"""GB 32100-2015 unified social credit codes, with the real codes of the domain facts."""
import pytest

from center.services.directory import credit_code_problem, is_valid_credit_code, name_initials

REAL_VALID = ["51110000MJ0101505U", "52110000MJ0163191U", "53100000500019795A",
              "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_VALID)
def test_real_codes_are_valid(app, code):
    assert credit_code_problem(code) is None
    assert is_valid_credit_code(code.lower())  # typed in lower case, normalized


def test_standard_example_with_wrong_last_character_is_invalid(app):
    assert not is_valid_credit_code("91350100M000100Y4Z")
    assert "Z" in str(credit_code_problem("91350100M000100Y4Z"))  # Z is not in the alphabet


@pytest.mark.parametrize("code", ["91350100M000100Y44", "51110000MJ0101505A", "52110000MJ0163191T"])
def test_wrong_check_character_is_refused_with_reason(app, code):
    assert "校验位不正确" in str(credit_code_problem(code))


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_outside_the_alphabet_are_refused(app, letter):
    code = "51110000MJ010150" + letter + "U"
    problem = str(credit_code_problem(code))
    assert "不允许的字符" in problem and letter in problem


@pytest.mark.parametrize("code, length", [("51110000MJ0101505", 17), ("51110000MJ0101505UU", 19),
                                          ("5", 1)])
def test_wrong_length_names_the_length(app, code, length):
    problem = str(credit_code_problem(code))
    assert "18位" in problem and str(length) in problem


def test_spaces_are_ignored_when_validating(app):
    assert is_valid_credit_code(" 5111 0000 MJ01 01505U ")


def test_name_initials_for_pinyin_search(app):
    assert name_initials("北京协作者") == "bjxzz"
    assert name_initials("北京NGO发展中心2") == "bjngofzzx2"
