"""Regenerate the intake yardstick: `realistic_leads.csv` (a Vietnamese lead export with expected verdicts) and
`realistic_dnc.csv` (a do-not-call list).

Run `python tests/data/make_realistic_leads.py` to rewrite both files (byte-identical for a given SEED), or with
`--check` to fail when the checked-in files differ from what this script produces.

Edge cases live in hand-written tables (raw cell → expected E.164); ordinary leads and duplicates are drawn from a
seeded random generator. The expected verdict is not typed by hand: it is derived from the expected E.164, the
do-not-call list and the suspect marks with the precedence junk > blocked > duplicate > suspect > ok, and every
hand-written row states the verdict it is meant to have so an accidental collision fails loudly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEADS_PATH = HERE / "realistic_leads.csv"
DNC_PATH = HERE / "realistic_dnc.csv"
SEED = 20261124
ORDINARY_LEADS = 340
DUPLICATES_DRAWN = 28  # plus the hand-written duplicate cases below
HEADER = ["Họ và tên", "Số điện thoại", "Email", "Dịch vụ", "Nguồn", "Thời gian đăng ký"]
EXPECTED = ["expected_verdict", "expected_e164", "expected_flag"]

# --- names ------------------------------------------------------------------------------------------------------
FAMILY = [  # (family name, rough weight in per cent)
    ("Nguyễn", 31),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1.5),
    ("Ngô", 1.5),
    ("Dương", 1),
    ("Lý", 0.6),
    ("Đinh", 0.8),
    ("Trương", 0.8),
    ("Lâm", 0.6),
    ("Mai", 0.5),
    ("Tô", 0.3),
    ("Tạ", 0.3),
    ("Cao", 0.5),
    ("Lưu", 0.4),
    ("Hà", 0.5),
    ("Đoàn", 0.6),
    ("Trịnh", 0.5),
    ("Quách", 0.2),
    ("Châu", 0.3),
    ("Thái", 0.3),
    ("La", 0.2),
    ("Kiều", 0.2),
    ("Từ", 0.1),
    ("Lương", 0.4),
    ("Triệu", 0.2),
    ("Chu", 0.2),
    ("Nông", 0.1),
    ("Tăng", 0.1),
    ("Văn", 0.1),
    ("Khổng", 0.1),
]
MIDDLE_M = [
    "Văn",
    "Văn",
    "Văn",
    "Hữu",
    "Đức",
    "Minh",
    "Quốc",
    "Thành",
    "Công",
    "Xuân",
    "Tuấn",
    "Gia",
    "Hoàng",
    "Anh",
    "Ngọc",
    "Duy",
    "Trọng",
    "Quang",
    "Thanh",
    "Đình",
    "Bá",
    "Tiến",
    "Nhật",
    "Hải",
    "Chí",
]
MIDDLE_F = [
    "Thị",
    "Thị",
    "Thị",
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Kim",
    "Mỹ",
    "Bảo",
    "Phương",
    "Hồng",
    "Diễm",
    "Khánh",
    "Minh",
    "Hoài",
    "Thùy",
    "Quỳnh",
    "Hải",
    "Tường",
    "Như",
    "Cẩm",
    "Bích",
]
SECOND_MIDDLE = ["Thu", "Minh", "Bảo", "Ngọc", "Hoàng", "Thanh", "Gia", "Phương", "Kim", "Quốc", "Anh", "Tú"]
GIVEN_M = [
    "Hùng",
    "Dũng",
    "Nam",
    "Tuấn",
    "Minh",
    "Huy",
    "Long",
    "Khoa",
    "Phúc",
    "Thắng",
    "Sơn",
    "Hải",
    "Đạt",
    "Trung",
    "Hiếu",
    "Cường",
    "Quân",
    "Bảo",
    "Khang",
    "Tài",
    "Lộc",
    "Vinh",
    "Tùng",
    "Phong",
    "Thịnh",
    "Nghĩa",
    "Toàn",
    "Tâm",
    "Lực",
    "Kiên",
    "Hoàng",
    "Duy",
    "Thành",
    "An",
    "Đông",
    "Khải",
    "Nhân",
    "Tín",
    "Hậu",
    "Trí",
    "Quý",
    "Hưng",
    "Việt",
    "Đức",
    "Thiện",
    "Vũ",
    "Bình",
    "Công",
    "Triều",
    "Khôi",
]
GIVEN_F = [
    "Lan",
    "Hương",
    "Mai",
    "Linh",
    "Trang",
    "Hà",
    "Thảo",
    "Ngọc",
    "Huyền",
    "Nhung",
    "Hạnh",
    "Yến",
    "Vy",
    "Anh",
    "Nhi",
    "Trâm",
    "Giang",
    "Phương",
    "Loan",
    "Oanh",
    "Thủy",
    "Hằng",
    "Diệp",
    "Uyên",
    "Quyên",
    "Tuyết",
    "Xuân",
    "Châu",
    "My",
    "Thư",
    "Hiền",
    "Dung",
    "Liên",
    "Nga",
    "Ngân",
    "Trinh",
    "Tiên",
    "Nhàn",
    "Duyên",
    "Hoa",
    "Thắm",
    "Vân",
    "Khuê",
    "Ly",
    "Hân",
    "Thoa",
    "Phượng",
    "Lệ",
    "Hồng",
    "Ánh",
]

# --- numbers ----------------------------------------------------------------------------------------------------
MOBILE_PREFIXES = [  # (national prefix, weight): Viettel, Vinaphone, Mobifone, Vietnamobile, Gmobile, Itel
    ("086", 4),
    ("096", 7),
    ("097", 8),
    ("098", 8),
    ("032", 3),
    ("033", 3),
    ("034", 3),
    ("035", 3),
    ("036", 3),
    ("037", 3),
    ("038", 3),
    ("039", 3),
    ("088", 2),
    ("091", 6),
    ("094", 4),
    ("081", 1),
    ("082", 1),
    ("083", 1),
    ("084", 1),
    ("085", 1),
    ("089", 2),
    ("090", 6),
    ("093", 5),
    ("070", 1),
    ("076", 1),
    ("077", 1),
    ("078", 1),
    ("079", 1),
    ("092", 1),
    ("056", 0.5),
    ("058", 0.5),
    ("099", 0.3),
    ("059", 0.3),
    ("087", 0.3),
]
SUBRANGES = {"089": "6789", "099": "013456789"}
# 2018 renumbering, new 3-digit prefix -> old 4-digit prefix (used to write an earlier number in its legacy form).
LEGACY_OF = {
    "032": "0162",
    "033": "0163",
    "034": "0164",
    "035": "0165",
    "036": "0166",
    "037": "0167",
    "038": "0168",
    "039": "0169",
    "070": "0120",
    "079": "0121",
    "077": "0122",
    "076": "0126",
    "078": "0128",
    "083": "0123",
    "084": "0124",
    "085": "0125",
    "081": "0127",
    "082": "0129",
    "056": "0186",
    "058": "0188",
    "059": "0199",
}

# --- other columns ----------------------------------------------------------------------------------------------
SERVICES = [
    ("Khóa học IELTS", 9),
    ("Khóa học tiếng Anh giao tiếp", 7),
    ("Bảo hiểm nhân thọ", 8),
    ("Bảo hiểm sức khỏe", 5),
    ("Căn hộ Thủ Đức", 7),
    ("Đất nền Long An", 4),
    ("Vay tín chấp", 8),
    ("Vay mua nhà", 3),
    ("Mở thẻ tín dụng", 6),
    ("Niềng răng", 4),
    ("Spa trị mụn", 3),
    ("Khóa học lập trình", 3),
    ("Du học Úc", 2),
    ("Mua xe trả góp", 3),
    ("Lắp mạng Internet", 3),
]
SOURCES = [("facebook", 45), ("google", 20), ("zalo", 15), ("website", 12), ("tiktok", 8)]
DOMAINS = [
    ("gmail.com", 72),
    ("yahoo.com", 7),
    ("yahoo.com.vn", 4),
    ("outlook.com", 4),
    ("hotmail.com", 4),
    ("icloud.com", 3),
    ("fpt.com.vn", 1),
    ("vnpt.vn", 1),
    ("hcmut.edu.vn", 1),
    ("ueh.edu.vn", 1),
]

# --- hand-written edge cases (raw cell, expected E.164, flag); all expected `ok` -------------------------------
PHONE_FORMATS = [
    ("0912 384 657", "+84912384657", "spaced 4-3-3"),
    ("0978 215 904", "+84978215904", "spaced 4-3-3"),
    ("0386 502 118", "+84386502118", "spaced 4-3-3"),
    ("097 351 8246", "+84973518246", "spaced 3-3-4"),
    ("0916.243.870", "+84916243870", "dotted"),
    ("0903.718.254", "+84903718254", "dotted"),
    ("0345.961.027", "+84345961027", "dotted"),
    ("0936-472-815", "+84936472815", "dashed"),
    ("0868-309-142", "+84868309142", "dashed"),
    ("+84 912 607 385", "+84912607385", "+84 spaced"),
    ("+84 389 214 706", "+84389214706", "+84 spaced"),
    ("+84 90 581 3462", "+84905813462", "+84 spaced 2-3-4"),
    ("+84937052184", "+84937052184", "+84 compact"),
    ("+84-913-520-476", "+84913520476", "+84 dashed"),
    ("84912730548", "+84912730548", "84 without plus"),
    ("84353197260", "+84353197260", "84 without plus"),
    ("84 983 146 207", "+84983146207", "84 without plus, spaced"),
    ("84-397-126-548", "+84397126548", "84 without plus, dashed"),
    ("(+84) 912604731", "+84912604731", "(+84) prefix"),
    ("(+84) 0965 271 384", "+84965271384", "(+84) with trunk 0"),
    ("(84) 387 156 029", "+84387156029", "(84) prefix"),
    ("0084912358476", "+84912358476", "0084 prefix"),
    ("0084 977 640 152", "+84977640152", "0084 prefix, spaced"),
    ("+84 0912 745 306", "+84912745306", "+84 with trunk 0"),
    ("+84 (0) 903 152 648", "+84903152648", "+84 (0)"),
    ("912483605", "+84912483605", "excel dropped zero"),
    ("376208419", "+84376208419", "excel dropped zero"),
    ("868451270", "+84868451270", "excel dropped zero"),
    ("707315862", "+84707315862", "excel dropped zero"),
    ("842176395", "+84842176395", "excel dropped zero, 084 prefix"),
    ("SĐT: 0912675043", "+84912675043", "text around"),
    ("0983147265 (Zalo)", "+84983147265", "text around"),
    ("Zalo: 0367 158 420", "+84367158420", "text around"),
    ("đt 0908 213 574 - gọi sau 17h", "+84908213574", "text around, digits in note"),
    ("0939281654 (số chồng)", "+84939281654", "text around"),
    ("Số: 0832.614.907", "+84832614907", "text around"),
    ("0912570386 / 0987154320", "+84912570386", "two numbers, first taken"),
    ("0358294017; 0903661248", "+84358294017", "two numbers, first taken"),
    ("0961 485 230 hoặc 0985 217 604", "+84961485230", "two numbers, first taken"),
    ("0776 318 592, 0913 206 784", "+84776318592", "two numbers, first taken"),
    ("'0934817265", "+84934817265", "leading apostrophe"),
    ("'0372615980", "+84372615980", "leading apostrophe"),
    ("  0356271948 ", "+84356271948", "stray spaces"),
    ("0905\u00a0472\u00a0183", "+84905472183", "non-breaking spaces"),
    ("8.4913852067E+10", "+84913852067", "excel scientific, full digits"),
    ("8.4387261054E+10", "+84387261054", "excel scientific, full digits"),
    ("9.83517204E+08", "+84983517204", "excel scientific, dropped zero"),
    ("8.42438261547E+11", "+842438261547", "excel scientific, landline"),
]
SECOND_NUMBERS = ["+84987154320", "+84903661248", "+84985217604", "+84913206784"]  # never reused elsewhere
LEGACY = [
    ("01621845307", "+84321845307", "legacy 11-digit 0162"),
    ("01634 728 516", "+84334728516", "legacy 11-digit 0163"),
    ("0164 503 2917", "+84345032917", "legacy 11-digit 0164"),
    ("01652187460", "+84352187460", "legacy 11-digit 0165"),
    ("+84 166 274 3581", "+84362743581", "legacy 11-digit 0166 with +84"),
    ("01679315824", "+84379315824", "legacy 11-digit 0167"),
    ("01687 452 309", "+84387452309", "legacy 11-digit 0168"),
    ("841693127480", "+84393127480", "legacy 11-digit 0169 with 84"),
    ("01203748615", "+84703748615", "legacy 11-digit 0120"),
    ("0121 582 6374", "+84795826374", "legacy 11-digit 0121"),
    ("01227316498", "+84777316498", "legacy 11-digit 0122"),
    ("01262 947 135", "+84762947135", "legacy 11-digit 0126"),
    ("01285613072", "+84785613072", "legacy 11-digit 0128"),
    ("0123.461.8259", "+84834618259", "legacy 11-digit 0123"),
    ("01248 362 751", "+84848362751", "legacy 11-digit 0124"),
    ("01256103487", "+84856103487", "legacy 11-digit 0125"),
    ("01273 584 106", "+84813584106", "legacy 11-digit 0127"),
    ("01294 720 638", "+84824720638", "legacy 11-digit 0129"),
    ("01863 215 974", "+84563215974", "legacy 11-digit 0186"),
    ("01887419250", "+84587419250", "legacy 11-digit 0188"),
    ("0199 638 2417", "+84596382417", "legacy 11-digit 0199"),
    ("+841638205417", "+84338205417", "legacy 11-digit 0163 with +84"),
    ("1684519273", "+84384519273", "legacy 11-digit, excel dropped zero"),
]
LANDLINES = [
    ("024 3825 6194", "+842438256194", "Hanoi landline"),
    ("(024) 3762 8410", "+842437628410", "Hanoi landline"),
    ("024.6285.3917", "+842462853917", "Hanoi landline"),
    ("02439743628", "+842439743628", "Hanoi landline"),
    ("028 3822 5946", "+842838225946", "HCMC landline"),
    ("(028) 3930 7185", "+842839307185", "HCMC landline"),
    ("028.6271.4903", "+842862714903", "HCMC landline"),
    ("+84 28 3514 2067", "+842835142067", "HCMC landline with +84"),
    ("0236 3821 574", "+842363821574", "Da Nang landline"),
    ("0225 3745 218", "+842253745218", "Hai Phong landline"),
    ("0292 3826 410", "+842923826410", "Can Tho landline"),
    ("0274 3812 659", "+842743812659", "Binh Duong landline"),
]
FOREIGN = [
    ("+1 408 867 2291", "+14088672291", "US number"),
    ("+1 (415) 867-3340", "+14158673340", "US number"),
    ("+82 10-4217-3856", "+821042173856", "Korean mobile"),
    ("+82 10 9326 5107", "+821093265107", "Korean mobile"),
    ("+81 90-3184-2276", "+819031842276", "Japanese mobile"),
    ("+81 80 4527 1193", "+818045271193", "Japanese mobile"),
    ("+65 9173 2846", "+6591732846", "Singapore mobile"),
    ("+61 412 738 590", "+61412738590", "Australian mobile"),
]
NAMES = [  # real people whose names a naive filter might find odd; all expected `ok`
    ("Ý", "one-syllable name"),
    ("Út", "one-syllable name"),
    ("Tư", "one-syllable name"),
    ("An", "one-syllable name"),
    ("Nguyễn Ý", "two-syllable name"),
    ("Lê Thị Út", "birth-order name"),
    ("Bé Ba", "nickname"),
    ("Mẹ Bống", "nickname"),
    ("Nguyễn Văn An", "real name ending in An"),
    ("Trần Thị Bé", "real name ending in Bé"),
    ("Công Tôn Nữ Thị Minh Nguyệt", "long name"),
    ("Tôn Thất Quang Minh Khôi", "long name"),
    ("Âu Dương Thị Ngọc Hân", "long name"),
    ("Nguyễn Trần Hoàng Bảo Ngọc Anh", "long name"),
    ("Huỳnh Lê Thị Kim Phượng", "long name"),
    ("Nguyễn Phước Bửu Long", "long name"),
    ("K'Bờ", "ethnic-minority name"),
    ("Y Moan Ênuôl", "ethnic-minority name"),
    ("H'Hen Niê", "ethnic-minority name"),
    ("Ksor Y Ruăh", "ethnic-minority name"),
    ("Rơ Châm Ngọc", "ethnic-minority name"),
    ("Giàng A Páo", "ethnic-minority name, middle A"),
    ("Sùng A Lử", "ethnic-minority name, middle A"),
    ("Vàng Thị Mỷ", "ethnic-minority name"),
    ("Lầu Mí Chứ", "ethnic-minority name"),
    ("H'Lan Êban", "ethnic-minority name"),
    ("Y Bhim Mlô", "ethnic-minority name"),
    ("Ka Thị Huyền", "ethnic-minority name"),
    ("Siu Thị Blin", "ethnic-minority name"),
    ("Lò Văn Pọm", "ethnic-minority name"),
    ("Nông Văn Dền", "ethnic-minority name"),
    ("Bế Thị Hoà", "old-style tone mark"),
    ("Nguyễn Thị Thuỷ", "old-style tone mark"),
    ("Lê Hoà", "old-style tone mark"),
    ("Chị Lan", "honorific"),
    ("anh Tuấn", "honorific"),
    ("Cô Hạnh", "honorific"),
    ("Mr. Long", "honorific"),
    ("Lan Nguyễn", "western order"),
    ("Hung Tran", "western order, no diacritics"),
    ("Kevin Nguyen", "English first name"),
    ("Jenny Phạm", "English first name"),
    ("Tony Trần", "English first name"),
    ("John Miller", "foreign name"),
    ("NGUYỄN THỊ THANH HƯƠNG", "all caps name"),
    ("TRAN VAN DUNG", "all caps, no diacritics"),
    ("phạm minh châu", "lowercase name"),
    ("vo thi kim ngan", "lowercase, no diacritics"),
    ("  Nguyễn   Thị  Hồng ", "extra spaces"),
    ("Trần  Văn Nam", "extra spaces"),
    ("Phạm Minh Tuấn  ", "extra spaces"),
]
EMAIL_ODDITIES = [  # (e-mail with the lead's own local part in {}, flag): a typo alone does not make a lead suspect
    ("{}@gmial.com", "email typo"),
    ("{}@gmail.con", "email typo"),
    ("{}@gmai.com", "email typo"),
    ("{}@gamil.com", "email typo"),
    ("{}@yahooo.com", "email typo"),
    ("{}@hotmial.com", "email typo"),
    ("{}@gmail.com.vn", "email typo"),
    ("{}@gmail.com", "uppercase email"),
    ("{}.gmail.com", "malformed email"),
    ("{}@", "malformed email"),
]
FAKE_NAMES = [  # expected `suspect` with a normal number
    ("Nguyễn Văn A", "placeholder"),
    ("Nguyen Van A", "placeholder"),
    ("Trần Thị B", "placeholder"),
    ("Lê Văn C", "placeholder"),
    ("NGUYEN VAN A", "placeholder"),
    ("nguyễn văn a", "placeholder"),
    ("Phạm Thị B", "placeholder"),
    ("test", "test"),
    ("Test", "test"),
    ("TEST", "test"),
    ("test test", "test"),
    ("Test Lead", "test"),
    ("asdf", "keyboard mash"),
    ("asdfgh", "keyboard mash"),
    ("qwerty", "keyboard mash"),
    ("Qwerty", "keyboard mash"),
    ("aaaa", "keyboard mash"),
    ("xxx", "keyboard mash"),
    ("N/A", "not available"),
    ("n/a", "not available"),
    ("no name", "no name"),
    ("No Name", "no name"),
    ("khách hàng", "'customer'"),
    ("Khách Hàng", "'customer'"),
    ("Khach hang", "'customer'"),
    ("abc", "abc"),
    ("ABC", "abc"),
    ("Lan123", "digits"),
    ("hung1990", "digits"),
    ("Tuấn 0912", "digits"),
    ("user2847", "digits"),
    ("123", "digits"),
    (".", "punctuation"),
    ("-", "punctuation"),
    ("??", "punctuation"),
    ("null", "null"),
    ("Không tên", "no name"),
    ("ẩn danh", "anonymous"),
]
DISPOSABLE_DOMAINS = [  # expected `suspect`: otherwise normal rows with an e-mail at one of these
    "mailinator.com",
    "mailinator.com",
    "yopmail.com",
    "yopmail.com",
    "example.com",
    "example.com",
    "test.com",
    "test.com",
    "guerrillamail.com",
    "10minutemail.com",
    "sharklasers.com",
]
JUNK_PHONES = [  # (raw cell, flag): no usable number
    ("", "empty phone"),
    ("", "empty phone"),
    ("", "empty phone"),
    ("", "empty phone, e-mail only"),
    ("   ", "blank phone"),
    ("#N/A", "#N/A"),
    ("#N/A", "#N/A"),
    ("null", "null"),
    ("NULL", "null"),
    ("N/A", "N/A"),
    ("n/a", "N/A"),
    ("chưa có", "'not yet'"),
    ("không có", "'none'"),
    ("Chưa cung cấp", "'not given'"),
    ("khong co sdt", "'no phone'"),
    ("-", "dash"),
    ("0", "zero"),
    ("0909xxxxxx", "masked"),
    ("09xx xxx xxx", "masked"),
    ("098xxxxxxx", "masked"),
    ("0912***678", "masked"),
    ("0000000000", "all zeros"),
    ("0999999999", "repeated digit"),
    ("1111111111", "repeated digit"),
    ("0888888888", "repeated digit"),
    ("123456", "placeholder digits"),
    ("0123456789", "placeholder digits"),
    ("abcdef", "letters"),
    ("số điện thoại", "letters"),
    ("inbox", "letters"),
    ("091234567", "too short"),
    ("09123456", "too short"),
    ("0912345", "too short"),
    ("+84 91 234 56", "too short"),
    ("09123456789", "too long"),
    ("0912345678910", "too long"),
    ("+84 9123 456 7890", "too long"),
    ("0112345678", "invalid prefix"),
    ("0102938475", "invalid prefix"),
    ("0172839465", "invalid prefix"),
    ("8.49123E+10", "excel scientific, digits lost"),
    ("9.12346E+08", "excel scientific, digits lost"),
    ("8.43899E+10", "excel scientific, digits lost"),
    ("+84", "country code only"),
    ("84", "country code only"),
]
JUNK_WITH_FAKE_NAME = [("test", "#N/A"), ("asdf", ""), ("Nguyễn Văn A", "0000000000")]
# Do-not-call list: (cell in realistic_dnc.csv, E.164, cells of the lead rows that use it, name override).
DNC = [
    ("0906 318 472", "+84906318472", ["+84906318472"], None),
    ("+84 98 572 1406", "+84985721406", ["0985721406", "0985 721 406"], None),
    ("84374162958", "+84374162958", ["0374 162 958"], None),
    ("912806347", "+84912806347", ["0912.806.347"], None),
    ("01668 213 459", "+84368213459", ["0368213459"], None),
    ("0335 907 124", "+84335907124", ["01635907124"], None),
    ("(+84) 28 3823 6415", "+842838236415", ["028 3823 6415"], None),
    ("0944-713-502", "+84944713502", ["944713502"], None),
    ("+84789153024", "+84789153024", ["0789 153 024"], "test"),
    ("0971635284", "+84971635284", ["84971635284", "+84 971 635 284"], None),
    ("0868 275 913", "+84868275913", ["SĐT 0868275913 (Zalo)"], None),
    ("0917 462 085", "+84917462085", ["0917462085 / 0903 127 546"], None),
    ("0399 215 746", "+84399215746", ["0399215746", "+84 399 215 746"], ""),
    ("090.273.1864", "+84902731864", ["0902731864"], "Nguyễn Văn A"),
    ("0587 231 964", "+84587231964", ["01887231964"], None),
    ("+84 326 481 579", "+84326481579", ["0326481579"], None),
    ("0918 007 362", "+84918007362", [], None),
    ("+84 36 540 2718", "+84365402718", [], None),
    ("0779148230", "+84779148230", [], None),
    ("84 97 316 0582", "+84973160582", [], None),
    ("024 3933 8172", "+842439338172", [], None),
    ("01257364918", "+84857364918", [], None),
]
DNC_SECOND_NUMBERS = ["+84903127546"]


@dataclass(eq=False)
class Row:
    """One lead row: the cells as exported plus what the filter should conclude."""

    name: str
    phone: str
    e164: str  # "" when the row has no usable number
    flag: str
    intended: str  # the verdict this row is meant to have ("" for drawn rows: derived only)
    email: str | None = None  # None: drawn from the name
    suspect: bool = False
    after: Row | None = None  # a duplicate is placed after this row
    service: str = ""
    source: str = ""
    registered: str = ""
    verdict: str = ""


def weighted(rng: random.Random, table: list[tuple[str, float]]) -> str:
    """One value from a (value, weight) table."""
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def ascii_fold(text: str) -> str:
    """Vietnamese without diacritics, as people type it on a phone without a Vietnamese keyboard."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def random_name(rng: random.Random) -> str:
    female = rng.random() < 0.52
    family = weighted(rng, FAMILY)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    roll = rng.random()
    if roll < 0.07:
        return f"{family} {given}"
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    if roll < 0.88:
        return f"{family} {middle} {given}"
    if not female and middle == "Văn":
        return f"{family} {middle} {given}"
    second = rng.choice([m for m in SECOND_MIDDLE if m not in (middle, given)])
    return f"{family} {middle} {second} {given}"


def styled_name(rng: random.Random, name: str) -> tuple[str, str]:
    """The name as a lead typed it, and a note of the style when it is not the plain one."""
    style = weighted(
        rng,
        [("", 80), ("no diacritics", 10), ("all caps", 4), ("lowercase", 3), ("NFD name", 1.5), ("extra spaces", 1.5)],
    )
    if style == "no diacritics":
        return ascii_fold(name), style
    if style == "all caps":
        return name.upper(), style
    if style == "lowercase":
        return name.lower(), style
    if style == "NFD name":
        return unicodedata.normalize("NFD", name), style
    if style == "extra spaces":
        return " " + name.replace(" ", "  ", 1) + " ", style
    return name, style


def random_email(rng: random.Random, name: str, missing: float = 0.25) -> str:
    """An e-mail a lead with this name might have, or "" (a quarter of leads leave it out)."""
    words = ["".join(c for c in w if c.isalpha()) for w in ascii_fold(name).lower().split()]
    words = [w for w in words if w]
    if not words or rng.random() < missing:
        return ""
    given, family = words[-1], words[0]
    initials = "".join(w[0] for w in words[:-1])
    year = str(rng.randint(1965, 2006))
    if len(words) == 1:
        return f"{given}{rng.choice([year, year[2:], str(rng.randint(100, 999))])}@{weighted(rng, DOMAINS)}"
    local = rng.choice(
        [
            f"{given}{family}{year[2:]}",
            "".join(words),
            f"{given}.{family}",
            f"{initials}{given}{year[2:]}",
            f"{given}{rng.randint(100, 9999)}",
            f"{family}{given}{year}",
            f"{given}_{family}",
            f"{given}{year}",
        ]
    )
    return f"{local}@{weighted(rng, DOMAINS)}"


def random_mobile(rng: random.Random, used: set[str]) -> str:
    """A fresh, plausible 10-digit national mobile number ("0xxxxxxxxx") not used anywhere else in the list."""
    while True:
        prefix = weighted(rng, MOBILE_PREFIXES)
        if prefix in SUBRANGES:  # only part of these blocks is in service
            prefix += rng.choice(SUBRANGES[prefix])
        national = prefix + "".join(rng.choice("0123456789") for _ in range(10 - len(prefix)))
        tail = national[3:]
        boring = any(d * 4 in tail for d in "0123456789") or "1234" in tail or "6789" in tail or "4321" in tail
        if not boring and "+84" + national[1:] not in used:
            used.add("+84" + national[1:])
            return national


def write_number(national: str, style: str) -> str:
    """A national mobile number ("0xxxxxxxxx") written in one of the formats leads and exports use."""
    s = national[1:]
    return {
        "plain": national,
        "spaced": f"{national[:4]} {national[4:7]} {national[7:]}",
        "spaced 3-3-4": f"{national[:3]} {national[3:6]} {national[6:]}",
        "dotted": f"{national[:4]}.{national[4:7]}.{national[7:]}",
        "dashed": f"{national[:4]}-{national[4:7]}-{national[7:]}",
        "+84": f"+84{s}",
        "+84 spaced": f"+84 {s[:3]} {s[3:6]} {s[6:]}",
        "84 without plus": f"84{s}",
        "excel dropped zero": s,
        "(+84)": f"(+84) {s}",
        "0084": f"0084{s}",
        "text around": f"SĐT: {national}",
        "zalo note": f"{national} (Zalo)",
        "legacy 11-digit": LEGACY_OF.get(national[:3], "") + national[3:],
    }[style]


ORDINARY_STYLES = [
    ("plain", 56),
    ("spaced", 9),
    ("spaced 3-3-4", 3),
    ("dotted", 5),
    ("dashed", 2),
    ("+84", 5),
    ("+84 spaced", 4),
    ("84 without plus", 5),
    ("excel dropped zero", 8),
    ("(+84)", 1),
    ("0084", 1),
    ("text around", 0.5),
    ("zalo note", 0.5),
]


def edge_rows(rng: random.Random, used: set[str]) -> tuple[list[Row], list[Row]]:
    """The hand-written cases: (first occurrences, duplicates that must come after their original)."""
    rows: list[Row] = []
    dups: list[Row] = []

    def normal(phone: str, e164: str, flag: str, intended: str = "ok", **kw: object) -> Row:
        row = Row(str(kw.pop("name", random_name(rng))), phone, e164, flag, intended, **kw)
        rows.append(row)
        return row

    def fresh(style: str = "plain") -> tuple[str, str]:
        national = random_mobile(rng, used)
        return write_number(national, style), "+84" + national[1:]

    for phone, e164, flag in PHONE_FORMATS + LEGACY + LANDLINES + FOREIGN:
        normal(phone, e164, flag)
    for name, flag in NAMES:
        normal(*fresh(), flag, name=name)
    for name in ["Nguyễn Thị Ánh Tuyết", "Trần Đức Lộc", "Phạm Thuỳ Dương"]:
        normal(*fresh(), "NFD name", name=unicodedata.normalize("NFD", name))
    for name in ["Nguyễn Văn Hùng"] * 3 + ["Trần Thị Lan"] * 2 + ["Nguyễn Thị Hương"] * 2 + ["Lê Minh Tuấn"] * 2:
        normal(*fresh(), "same name, different number", name=name)
    for template, flag in EMAIL_ODDITIES:
        name = random_name(rng)
        email = template.format(random_email(rng, name, missing=0).split("@")[0])
        normal(*fresh(), flag, name=name, email=email.upper() if flag == "uppercase email" else email)
    shared = normal(*fresh(), "shares e-mail with next", email="giadinh.hoang@gmail.com", name="Hoàng Văn Tiến")
    normal(*fresh(), "same e-mail, different number", email=shared.email, name="Hoàng Thị Thu")

    fakes = [
        normal(*fresh(), f"fake name: {flag}", "suspect", name=name, suspect=True, email="")
        for name, flag in FAKE_NAMES
    ]
    for _ in range(7):
        normal(*fresh(), "missing name", "suspect", name="", suspect=True)
    normal(*fresh(), "missing name (blank)", "suspect", name="   ", suspect=True)
    for domain in DISPOSABLE_DOMAINS:
        flag = "test e-mail domain" if domain in ("example.com", "test.com") else "disposable e-mail"
        name = random_name(rng)
        email = random_email(rng, name, missing=0).split("@")[0] + "@" + domain
        normal(*fresh(), flag, "suspect", name=name, email=email, suspect=True)
    normal(*fresh(), "test e-mail domain", "suspect", email="test@test.com", suspect=True)
    normal(*fresh(), "fake name: test + test e-mail", "suspect", name="test", email="test@test.com", suspect=True)

    for phone, flag in JUNK_PHONES:
        email = "ngocanh.tran@gmail.com" if "e-mail only" in flag else None
        normal(phone, "", f"junk: {flag}", "junk", email=email)
    for name, phone in JUNK_WITH_FAKE_NAME:
        normal(phone, "", "junk phone (fake name too)", "junk", name=name, suspect=True, email="")

    for _cell, e164, lead_cells, name in DNC:
        first = None
        for cell in lead_cells:
            flag = "do-not-call" if first is None else "do-not-call, repeated"
            if name:
                flag += " (fake name too)"
            if name == "":
                flag += " (missing name too)"
            kw: dict[str, object] = {} if name is None else {"name": name, "suspect": True, "email": ""}
            row = normal(cell, e164, flag, "blocked", after=first, **kw)
            first = first or row
    dups += [r for r in rows if r.after is not None]
    rows = [r for r in rows if r.after is None]
    rows_by_phone = {r.phone: r for r in rows}

    def dup(of: Row, phone: str, flag: str, **kw: object) -> None:
        name = str(kw.pop("name", of.name))
        dups.append(Row(name, phone, of.e164, f"duplicate: {flag}", "duplicate", after=of, **kw))

    dup(rows_by_phone["912483605"], "0912 483 605", "earlier excel dropped zero")
    dup(rows_by_phone["01687 452 309"], "0387452309", "new form of earlier legacy number")
    dup(rows_by_phone["0121 582 6374"], "+84 795 826 374", "new form of earlier legacy number")
    dup(rows_by_phone["024 3825 6194"], "+84 24 3825 6194", "landline, +84 vs 0")
    dup(rows_by_phone["+82 10-4217-3856"], "0082 10 4217 3856", "foreign, 00 vs +")
    dup(rows_by_phone["0912570386 / 0987154320"], "0912 570 386", "first of two numbers")
    dup(fakes[0], "+84" + fakes[0].phone[1:], "earlier row had a fake name", name="Nguyễn Văn Phúc")
    spouse = normal(*fresh(), "number shared with spouse (first)", name="Nguyễn Văn Bình")
    dup(spouse, write_number(spouse.phone, "spaced"), "same number, different name", name="Trần Thị Thoa")
    target = normal(*fresh(), "ordinary lead")
    dup(
        target,
        write_number(target.phone, "+84 spaced"),
        "+84 vs 0, later re-filled by 'test'",
        name="test",
        suspect=True,
        email="",
    )
    triple = normal(*fresh(), "ordinary lead (submitted three times)")
    dup(triple, write_number(triple.phone, "+84"), "+84 vs 0")
    dup(triple, triple.phone, "same format (re-submitted)")
    other = normal(*fresh("84 without plus"), "84 without plus")
    second = random_mobile(rng, used)
    dup(other, f"{write_number('0' + other.phone[2:], 'dotted')} / {second}", "two numbers, first is earlier")
    return rows, dups


def build(seed: int = SEED) -> tuple[str, str]:
    """The two CSV files' text: (leads, do-not-call)."""
    rng = random.Random(seed)
    used: set[str] = set()
    for _, e164, _ in PHONE_FORMATS + LEGACY + LANDLINES + FOREIGN:
        assert e164 not in used, e164
        used.add(e164)
    for e164 in [d[1] for d in DNC] + SECOND_NUMBERS + DNC_SECOND_NUMBERS:
        assert e164 not in used, e164
        used.add(e164)
    firsts, dups = edge_rows(rng, used)
    for _ in range(ORDINARY_LEADS):
        name, name_note = styled_name(rng, random_name(rng))
        national = random_mobile(rng, used)
        style = weighted(rng, ORDINARY_STYLES)
        flag = "; ".join(note for note in (name_note, "" if style == "plain" else style) if note) or "ordinary lead"
        firsts.append(Row(name, write_number(national, style), "+84" + national[1:], flag, ""))
    rng.shuffle(firsts)
    dups += drawn_duplicates(rng, firsts)
    rows = list(firsts)
    for row in dups:
        start = rows.index(row.after) + 1 if row.after in rows else 0
        rows.insert(rng.randint(start, len(rows)), row)
    for row in rows:
        if row.after is not None and row.after in rows:
            assert rows.index(row.after) < rows.index(row), row
    fill_columns(rng, rows)
    derive_verdicts(rows)
    return leads_csv(rows), dnc_csv()


def drawn_duplicates(rng: random.Random, firsts: list[Row]) -> list[Row]:
    """Repeat submissions of ordinary leads, the number written another way (some in the pre-2018 form)."""
    ordinary = [r for r in firsts if r.intended == "" and r.e164.startswith("+84")]
    legacy_able = [r for r in ordinary if "0" + r.e164[3:5] in LEGACY_OF][:7]
    others = [r for r in ordinary if r not in legacy_able]
    out = []
    for row in legacy_able:
        out.append(
            Row(
                row.name,
                write_number("0" + row.e164[3:], "legacy 11-digit"),
                row.e164,
                "duplicate: legacy 11-digit of earlier number",
                "duplicate",
                after=row,
            )
        )
    for row in rng.sample(others, DUPLICATES_DRAWN - len(legacy_able)):
        national = "0" + row.e164[3:]
        styles = [s for s, _ in ORDINARY_STYLES if write_number(national, s) != row.phone]
        style = rng.choice(styles) if rng.random() < 0.9 else "plain"
        flag = "same format (re-submitted)" if write_number(national, style) == row.phone else style
        name = rng.choice([row.name, row.name, ascii_fold(row.name), row.name.upper(), row.name.split()[-1]])
        out.append(Row(name, write_number(national, style), row.e164, f"duplicate: {flag}", "duplicate", after=row))
    return out


def fill_columns(rng: random.Random, rows: list[Row]) -> None:
    """E-mail where not given, service, source, and registration times in export order."""
    start = dt.datetime(2026, 10, 1)
    # 50 days of a campaign; forms come in between 06:30 and 23:30
    minutes = sorted(rng.randrange(50) * 1440 + rng.randint(390, 1410) for _ in rows)
    for row, minute in zip(rows, minutes, strict=True):
        if row.email is None:
            row.email = random_email(rng, row.name)
        if row.after is not None and rng.random() < 0.7:
            row.service = row.after.service or weighted(rng, SERVICES)
        else:
            row.service = weighted(rng, SERVICES)
        row.source = weighted(rng, SOURCES)
        row.registered = (start + dt.timedelta(minutes=minute)).strftime("%d/%m/%Y %H:%M")


def derive_verdicts(rows: list[Row]) -> None:
    """junk > blocked > duplicate > suspect > ok; checks each hand-written row got the verdict it was written for."""
    blocked = {d[1] for d in DNC}
    seen: set[str] = set()
    for row in rows:
        if not row.e164:
            row.verdict = "junk"
        elif row.e164 in blocked:
            row.verdict = "blocked"
        elif row.e164 in seen:
            row.verdict = "duplicate"
        else:
            row.verdict = "suspect" if row.suspect else "ok"
        if row.e164:
            seen.add(row.e164)
        expected = row.intended or ("duplicate" if row.flag.startswith("duplicate") else "ok")
        assert row.verdict == expected, (row.phone, row.flag, row.verdict)


def leads_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER + EXPECTED)
    for r in rows:
        writer.writerow([r.name, r.phone, r.email, r.service, r.source, r.registered, r.verdict, r.e164, r.flag])
    return out.getvalue()


def dnc_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["phone"])
    writer.writerows([cell] for cell, *_ in DNC)
    return out.getvalue()


def main(argv: list[str]) -> int:
    leads, dnc = build()
    if "--check" in argv:
        stale = [p.name for p, text in ((LEADS_PATH, leads), (DNC_PATH, dnc)) if p.read_bytes() != text.encode()]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    LEADS_PATH.write_bytes(leads.encode("utf-8"))
    DNC_PATH.write_bytes(dnc.encode("utf-8"))
    print(f"wrote {LEADS_PATH.name} ({leads.count(chr(10)) - 1} rows) and {DNC_PATH.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
