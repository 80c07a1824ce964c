"""What a person reads on a page, and what must not be in it when the UI speaks Chinese: English words
(apart from names and codes meant to be so), raw ISO timestamps, None/True/False, Python reprs and an ASCII
colon after Chinese.

Used by tests/web/test_language.py; a crawler follows the links a user is offered, so that a new page is
checked without anyone remembering to add it."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

from lxml import html as lxml_html

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}

# Names and codes that are meant to be shown as they are, each with why:
ALLOWED = {
    "English",  # the language switch names the other language in that language
    "BPMN", "DMN", "XML", "XES",  # the file formats a designer uploads and downloads
    "PDF", "CSV", "Excel", "JSON", "JPEG", "PNG", "TOML",  # file formats people download and upload
    "ID", "API", "KPI", "SLA", "REST", "OpenAPI",  # technical terms the office uses as they are
    "JointReview",  # the product's name
    "p90", "P90",  # the statistical figure's usual name
    "KB", "MB",  # file sizes
    "bpmn", "dmn", "xml", "csv", "xlsx", "pdf", "xes",  # file name extensions (admission_review.bpmn)
    "http", "https",  # an address shown for copying (the API's base URL)
    "GB",  # national standards are cited by their code (GB 11643, the ID number)
    "YYYY-MM-DD",  # the date format a person types into a filter
    "Ctrl",  # a key named as it is printed on the keyboard (按住 Ctrl 键多选)
}
# ASCII word bounds for the names and codes shown as they are: \b takes a Chinese character for a word
# character, and Chinese sets a name close to the words around it (已签收ADM-2026-000123的“审定”)
_A0, _A1 = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
_BUSINESS_KEY = re.compile(rf"{_A0}[A-Z]{{2,8}}-\d{{4}}-\d{{3,}}{_A1}")  # ADM-2026-000123
_NOTICE_NUMBER = re.compile(rf"{_A0}[A-F0-9]{{10}}{_A1}")  # a notice number (公示编号) applicants quote
_ID_NUMBER = re.compile(r"[0-9*]{14,17}[0-9Xx*]")  # masked or full ID numbers end in a check digit or X
_FILE = re.compile(rf"(?<![\w.-])[\w.-]+\.(?:bpmn|dmn|xml|csv|xlsx|pdf|xes|json|toml){_A1}")  # a file's name is a name
_ADDRESS = re.compile(rf"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+{_A1}|https?://\S+|(?<![\w/])/[a-z][\w./-]*")
# e-mail, web addresses and paths on this site (/api/v1/docs)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’-]*")
_HASH = re.compile(rf"{_A0}[0-9a-f]{{12,64}}{_A1}")  # a content hash is shown for comparing, never read
_VERSION = re.compile(r"\bv\d+\b")  # a version written v3: in Chinese it reads 第3版 (in English v3 is right)
_REFERENCE = re.compile(rf"{_A0}[A-Z]{{2,}}\d{{6,}}{_A1}")  # a reference number another system gave (a payment's)
_PERIOD = re.compile(rf"{_A0}\d{{4}}Q[1-4]{_A1}")  # a quarter as it is typed into the period filter (2026Q4)
_SLASHED_DATE = re.compile(r"\b\d{4}/\d{1,2}/\d{1,2}\b")  # dates read 2026-12-01, one way everywhere
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:\d{2}")
_REPR = re.compile(r"object at 0x|\{'|\['|\bdatetime\.|\bDecimal\(")
_KEPT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Chinese punctuation after Chinese: 审核意见：, not 审核意见: (a syntax shown to be typed as it is, in “…”, keeps its colon)
ASCII_COLON = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]:")
_QUOTED_SYNTAX = re.compile(r"“[^”]*”")


def ascii_colon(text: str) -> str | None:
    """The Chinese character and the ASCII colon after it, if the text has one outside a quoted syntax."""
    found = ASCII_COLON.search(_QUOTED_SYNTAX.sub("“”", text))
    return found.group(0) if found else None


# On the designer's pages: the BPMN, DMN and Camunda vocabulary a designer writes in the modeler, named as written.
DESIGNER_TERMS = {
    "ISO", "RE2", "UNIQUE", "FIRST", "COLLECT", "Camunda", "Modeler", "Forms", "Flowable", "Activiti", "SpiffWorkflow",
    "camunda", "formData", "decisionRef", "messageRef", "calledElement", "candidateGroups", "isExecutable", "sourceRef",
    "targetRef", "timeDate", "timeDuration", "timeCycle", "defaultValue", "required", "readonly", "definitions",
    "reviewer", "supervisor", "head", "all", "any", "ratio", "in", "External",  # values a designer types
    "key_prefix", "applied_by", "result_key", "milestone", "outcome", "outcome_field", "stops_clock", "countersign",
    "countersign_record", "decision_basis", "owner_department", "withdraw_message", "retention_years",
    "case_target_workdays", "required_if", "valid_if", "true_label", "false_label", "personal", "data", "cc",
    "send_back_to", "not_by_performer_of", "sla", "priority", "pattern", "min", "max", "minlength", "maxlength",
}


def words(text: str) -> list[str]:
    """The runs of Latin letters (with digits, _ and inner apostrophes or hyphens) of a text."""
    return [w.rstrip("'’-") for w in _WORD.findall(text)]


def visible_text(page: str) -> list[str]:
    """The text nodes a person reads (no scripts, styles or attribute values; tooltips, placeholders,
    labels for screen readers and button captions included), one string per node."""
    if not page.strip():
        return []
    root = lxml_html.document_fromstring(page)
    for node in root.iter("script", "style", "template"):
        node.drop_tree()
    for node in root.xpath('//body//*[@lang="en"]'):  # a parser's own words beside the translated message, marked so
        node.drop_tree()
    out = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue  # comments and processing instructions
        out += [node.get(a) for a in _KEPT_ATTRIBUTES if node.get(a)]
        if node.tag == "input" and node.get("type") in ("submit", "button") and node.get("value"):
            out.append(node.get("value"))
        if node.text and node.text.strip():
            out.append(node.text)
        if node.tail and node.tail.strip():
            out.append(node.tail)
    return [" ".join(t.split()) for t in out]


def problems(texts: list[str], allowed_names: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(category, what, the text it is in) for each thing a Chinese reader should not meet."""
    found = []
    for text in texts:
        if _ISO.search(text):
            found.append(("iso timestamp", _ISO.search(text).group(0), text))
        if _SLASHED_DATE.search(text):
            found.append(("date format", _SLASHED_DATE.search(text).group(0), text))
        if _REPR.search(text):
            found.append(("python repr", _REPR.search(text).group(0), text))
        if ascii_colon(text):
            found.append(("ascii colon", ascii_colon(text), text))
        cleaned = text
        for pattern in (_ADDRESS, _FILE, _BUSINESS_KEY, _ID_NUMBER, _NOTICE_NUMBER, _HASH, _PERIOD, _REFERENCE):
            cleaned = pattern.sub(" ", cleaned)
        if _VERSION.search(cleaned):  # a Chinese reader reads 第3版
            found.append(("version as v3", _VERSION.search(cleaned).group(0), text))
            cleaned = _VERSION.sub(" ", cleaned)
        for word in words(cleaned):
            if word in ("None", "True", "False"):
                found.append((word, word, text))
            elif len(word) > 1 and word not in ALLOWED and word not in allowed_names:
                found.append(("english", word, text))
    return found


# In the API's answers: the HTTP and JSON words a client programs against, named as they are sent.
API_TERMS = {"Authorization", "Bearer", "Allow", "Idempotency-Key", "Accept-Language", "next_cursor", "true", "false"}


_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # snake_case: a code a program reads, not a word
# Chinese punctuation against English words: Outcome：, …（Education Bureau）; a Chinese value keeps its own
_CHINESE_PUNCTUATION = re.compile(r"[A-Za-z)\]][：；、（），]|[（，；、][A-Za-z]")


def english_problems(texts: list[str], allowed_names: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """What an English reader should not meet: codes instead of words, and the same raw values as in Chinese."""
    found = [f for f in problems(texts, set()) if f[0] not in ("english", "ascii colon", "version as v3")]  # English punctuation is right there
    for text in texts:
        cleaned = text
        for pattern in (_ADDRESS, _FILE):
            cleaned = pattern.sub(" ", cleaned)
        found += [("code", code, text) for code in _CODE.findall(cleaned) if code not in allowed_names]
        found += [("chinese punctuation", mark, text) for mark in _CHINESE_PUNCTUATION.findall(cleaned)]
    return found


def problem_of_json(value, allowed_names: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """The same checks over every string of an API answer that is meant for people (detail, title, messages)."""
    texts = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("detail", "title", "message", "messages", "errors", ""):
            texts.append(node)
    walk(value)
    return problems(texts, set(allowed_names) | API_TERMS)


class Report:
    """Findings over many pages: printed grouped, so that a failure says what to fix where."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, str]] = []  # (page, category, what, text)

    def check(self, where: str, page: str, allowed_names: set[str] = frozenset()) -> None:
        for category, what, text in problems(visible_text(page), allowed_names):
            self.items.append((where, category, what, text[:160]))

    def check_english(self, where: str, page: str, allowed_names: set[str] = frozenset()) -> None:
        for category, what, text in english_problems(visible_text(page), allowed_names):
            self.items.append((where, category, what, text[:160]))

    def check_json(self, where: str, value, allowed_names: set[str] = frozenset()) -> None:
        for category, what, text in problem_of_json(value, allowed_names):
            self.items.append((where, category, what, text[:160]))

    def counts(self) -> Counter:
        return Counter(category for _, category, _, _ in self.items)

    def __str__(self) -> str:
        seen, lines = set(), []
        for where, category, what, text in self.items:
            if (category, text) in seen:
                continue
            seen.add((category, text))
            lines.append(f"{where}: [{category}] {what!r} in {text!r}")
        return f"{len(self.items)} problems {dict(self.counts())}\n" + "\n".join(lines)


_SKIP = re.compile(r"^/$|^/(static|vendor|api|designer/modeler/(assets|lib\.js)|logout|language|healthz|readyz|metrics)|"
                   r"\.(csv|xlsx|xes|pdf|json|bpmn|dmn)$|/files/|/export|/eventlog|/uploads/")
_ID_SEGMENT = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27,}|\d+|[A-Z]{2,8}-\d{4}-\d+)(?=/|$)")


def shape(url: str) -> str:
    """A link's kind: its path with ids and business keys replaced, and its query's parameter names."""
    parts = urlsplit(url)
    names = sorted({p.split("=")[0] for p in parts.query.split("&") if p and not p.startswith("after=")})
    return _ID_SEGMENT.sub("/*", parts.path) + "?" + "&".join(names)


def links(page: str) -> list[str]:
    """The same-site GET links of a page (anchors), without fragments."""
    if not page.strip():
        return []
    root = lxml_html.document_fromstring(page)
    out = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").split("#")[0]
        if href.startswith("/") and not href.startswith("//") and anchor.get("download") is None:
            out.append(href)
    return out


def crawl(client, start: list[str], report: Report, per_shape: int = 3, limit: int = 250,
          allowed_names=lambda url: frozenset(), headers: dict = ZH) -> list[str]:
    """Visit the pages reachable from `start` by links (a few of each kind), checking each; returns the
    paths visited. Every page must answer 200 (a link a user is offered must work)."""
    queue, visited, shapes = list(start), [], Counter()
    seen = set(queue)
    while queue and len(visited) < limit:
        url = queue.pop(0)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        visited.append(url)
        if not response.mimetype == "text/html":
            continue
        page = response.get_data(as_text=True)
        if headers is ZH:
            report.check(url, page, allowed_names(url))
        else:
            report.check_english(url, page, allowed_names(url))
        for link in links(page):
            if link in seen or _SKIP.search(urlsplit(link).path):
                continue
            seen.add(link)
            if shapes[shape(link)] < per_shape:
                shapes[shape(link)] += 1
                queue.append(link)
    return visited
