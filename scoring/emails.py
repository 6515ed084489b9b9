"""Lead e-mails: syntax, test and disposable domains, and typos of the big providers with a suggested fix."""

from __future__ import annotations

import functools
import re
import unicodedata

from disposable_email_domains import blocklist as _DISPOSABLE

from scoring.cells import EMPTY_CELL

# Cells that mean "no e-mail given": not a reason, just no e-mail.
_PLACEHOLDERS = EMPTY_CELL | {"n/a", "na"}
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
# Test and placeholder domains: nobody's real address (disposable services have their own reason).
_FAKE_DOMAINS = frozenset({"example.com", "example.org", "example.net", "test.com", "test.vn", "abc.com", "asdf.com"})
# Reserved top-level names (RFC 2606) never deliver mail.
_FAKE_TLDS = frozenset({"test", "example", "invalid", "localhost"})
_FAKE_LOCALS = frozenset({"test", "abc", "asdf", "xxx", "aaa", "noemail", "no-email", "none", "fake", "qwerty"})
# Disposable services the package's list does not carry.
_MORE_DISPOSABLE = frozenset({"tempmail.com"})

# The providers most Vietnamese leads use. A domain one keystroke away from one of these names (same first
# letter, so "ymail.com" and "mail.com", which are real, stay as they are) is taken for a typo of it.
_PROVIDERS = ("gmail", "yahoo", "hotmail", "outlook", "icloud")
_COM_TYPOS = frozenset({"con", "co", "cm", "om", "cmo", "ocm", "comm", "coom", "cpm", "xom", "vom", "cim", "c0m"})
_VN_TYPOS = frozenset({"vn", "con.vn", "co.vn", "cm.vn", "com.vm", "comvn"})


def _one_edit_apart(a: str, b: str) -> bool:
    """True when b is a with one letter dropped, added, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1 or swapped
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _provider(name: str) -> str | None:
    if name in _PROVIDERS:
        return name
    if len(name) < 4:
        return None
    near = [p for p in _PROVIDERS if p[0] == name[0] and _one_edit_apart(name, p)]
    return near[0] if len(near) == 1 else None


def _typo_fix(domain: str) -> str | None:
    """The provider domain a mistyped one was meant to be ("gmial.com" -> "gmail.com"), or None."""
    name, _, suffix = domain.partition(".")
    provider = _provider(name)
    if provider is None:
        return None
    if provider == "gmail" or suffix in _COM_TYPOS:
        suffix = "com"  # Gmail has no other domain: "gmail.com.vn" and "gmail.vn" do not exist.
    elif provider == "yahoo" and suffix in _VN_TYPOS:
        suffix = "com.vn"
    fixed = f"{provider}.{suffix}"
    return fixed if fixed != domain else None


def _is_disposable(domain: str) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _DISPOSABLE for i in range(len(labels) - 1)) or domain in _MORE_DISPOSABLE


@functools.lru_cache(maxsize=1 << 14)
def _judge_domain(domain: str) -> tuple[str | None, str | None]:
    """(reason, suggested domain) for a syntactically valid domain; cached, since a few domains cover most rows."""
    if not _DOMAIN.fullmatch(domain):
        return "email_invalid", None
    if domain in _FAKE_DOMAINS or domain.endswith(tuple("." + d for d in _FAKE_DOMAINS)):
        return "email_fake", None
    if domain.rsplit(".", 1)[-1] in _FAKE_TLDS:
        return "email_fake", None
    # Typos before disposables: the blocklist carries typo-squatting domains such as gmial.com, and the lead
    # who typed one meant Gmail.
    fixed = _typo_fix(domain)
    if fixed is not None:
        return "email_typo", fixed
    if _is_disposable(domain):
        return "email_disposable", None
    return None, None


def check_email(raw: str | None) -> tuple[str | None, str | None, str | None]:
    """Lower-cased e-mail, a reason code or None, and a corrected address when the reason is "email_typo"."""
    if not raw:
        return None, None, None
    text = raw.strip().lower()
    if text[:1] == "<" or text[-1:] == ">":
        text = text.strip("<>").strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at:
        # No "@": a placeholder for "no e-mail", or something that is not an address.
        return (None, None, None) if text in _PLACEHOLDERS else (text, "email_invalid", None)
    # Letters, digits and single dots ("lan.nguyen90") need no regex; anything else is checked by _LOCAL.
    if local.isascii() and local.replace(".", "").isalnum():
        if local[:1] == "." or local[-1:] == "." or ".." in local:
            return text, "email_invalid", None
    elif _LOCAL.fullmatch(local) is None:
        return text, "email_invalid", None
    reason, fixed = _judge_domain(domain)
    if reason == "email_invalid" or reason == "email_fake":
        return text, reason, None
    if local in _FAKE_LOCALS:
        return text, "email_fake", None
    return text, reason, (f"{local}@{fixed}" if fixed else None)


def clean_email(raw: str | None) -> tuple[str | None, str | None]:
    """Lower-cased e-mail and a reason code (email_invalid / _fake / _disposable / _typo) or None."""
    email, reason, _ = check_email(raw)
    return email, reason
