"""Names in another language, written by the designer in the BPMN itself (the modeler's properties panel):

- a process, a step, an event or a lane: the element's extension property `name:en` (Camunda properties with
  `name="name:en"`), e.g. 教育局审定 → "Decision by the Education Bureau";
- a form field: the field's property `label:en` (form-field properties are written with `id=`, as Camunda does);
- a form field's options: the field's property `options:en`, `admit:Admit|waitlist:Waiting list|reject:Refused`;
  a yes/no field's answers the same way, `true:Passed|false:Not passed`;
- a data field the process declares (`data:<field>`, engine/glossary.py): the process property `data:<field>:en`,
  its name and optionally its options' names, `Recommendation; options=admit:Admit|reject:Refused`.

Case pages label the case's data with these names (`Catalog.field_label`, `Catalog.value_name`): a data field's
own translation first, else the `label:en` of the first form that asks for it.

A name without a translation is shown as the BPMN names it. `problems` says what is wrong with a translation
(an option that is not the field's, a malformed list, an empty name) for the deploy check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .bpmnxml import CAMUNDA, bpmn_find, element_properties
from .errors import Message, catalogue

LANGUAGES = ("en",)
MAX_NAME = 200
MESSAGES = catalogue({  # what the validator says of translations (the web layer translates these words)
    "translation_length": "{key} must be a name of 1 to {limit} characters",
    "translation_field_length": "field {field}: {key} must be a name of 1 to {limit} characters",
    "translation_options_form": "field {field}: {key} must read id:name|id:name",
    "translation_option_unknown": "field {field}: {key} names {option!r}, which is not one of the field's options "
                                  "({options})",
    "translation_data_unknown": "{key} translates a data field the process does not declare; declare data:{field} "
                                "first",
    "translation_data_setting": "{key}: only options= may follow the name",
})


@dataclass
class Catalog:
    """One process's names in one language."""

    names: dict[str, str] = field(default_factory=dict)  # element id (the process's own id too) → name
    labels: dict[tuple[str, str], str] = field(default_factory=dict)  # (task id, field id) → label
    options: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (task id, field id, option id) → name
    fields: dict[str, str] = field(default_factory=dict)  # data field → label, wherever it is declared or asked
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (data field, option id) → name

    def name(self, element_id: str, default: str) -> str:
        return self.names.get(element_id) or default

    def label(self, task_id: str, field_id: str, default: str) -> str:
        return self.labels.get((task_id, field_id)) or default

    def option(self, task_id: str, field_id: str, option_id: str, default: str) -> str:
        return self.options.get((task_id, field_id, option_id)) or default

    def field_label(self, key: str) -> str | None:
        return self.fields.get(key)

    def value_name(self, key: str, option_id: str) -> str | None:
        return self.values.get((key, option_id))


def _field_properties(node) -> dict[str, str]:
    return {p.get("id") or p.get("name") or "": p.get("value", "") for p in node.iter(f"{CAMUNDA}property")}


def _pairs(text: str) -> list[tuple[str, str]] | None:
    out = []
    for part in text.split("|"):
        key, sep, name = part.partition(":")
        if not sep or not key.strip() or not name.strip():
            return None
        out.append((key.strip(), name.strip()))
    return out


def read(root, language: str = "en") -> tuple[dict[str, Catalog], list[tuple[object, Message]]]:
    """The catalogues of every process in a parsed BPMN document (process id → Catalog), and the problems found
    as (element, message)."""
    catalogs: dict[str, Catalog] = {}
    problems: list[tuple[object, Message]] = []
    for process in bpmn_find(root, "//b:process"):
        catalogs[process.get("id", "")] = _catalog(process, language, problems)
    return catalogs, problems


def problems(process, language: str = "en") -> list[tuple[object, Message]]:
    """What is wrong with one process's translations (for the deploy check)."""
    found: list[tuple[object, Message]] = []
    _catalog(process, language, found)
    return found


def _catalog(process, language: str, problems: list) -> Catalog:
    cat = Catalog()
    key = f"name:{language}"
    for node in [process, *process.iter()]:
        if not isinstance(node.tag, str) or node.get("id") is None:
            continue
        value = element_properties(node).get(key)
        if value is not None:
            if not value.strip() or len(value) > MAX_NAME:
                problems.append((node, Message("translation_length", key=key, limit=MAX_NAME)))
            else:
                cat.names[node.get("id")] = value.strip()
    _data_fields(process, language, cat, problems)
    for task in bpmn_find(process, ".//b:userTask"):
        for form_field in task.iter(f"{CAMUNDA}formField"):
            fid, props = form_field.get("id", ""), _field_properties(form_field)
            label = props.get(f"label:{language}")
            if label is not None:
                if not label.strip() or len(label) > MAX_NAME:
                    problems.append((task, Message("translation_field_length", field=fid, key=f"label:{language}",
                                                   limit=MAX_NAME)))
                else:
                    cat.labels[(task.get("id"), fid)] = label.strip()
                    cat.fields.setdefault(fid, label.strip())
            listed = props.get(f"options:{language}")
            if listed is None:
                continue
            pairs = _pairs(listed)
            own = {v.get("id") for v in form_field.iter(f"{CAMUNDA}value")}
            if form_field.get("type") == "boolean":  # a decision's two answers (true_label / false_label)
                own = {"true", "false"}
            if pairs is None:
                problems.append((task, Message("translation_options_form", field=fid, key=f"options:{language}")))
                continue
            for option, name in pairs:
                if option not in own:
                    problems.append((task, Message("translation_option_unknown", field=fid, key=f"options:{language}",
                                                   option=option, options=", ".join(sorted(o for o in own if o)))))
                else:
                    cat.options[(task.get("id"), fid, option)] = name
                    cat.values.setdefault((fid, option), name)
    return cat


def _data_fields(process, language: str, cat: Catalog, problems: list) -> None:
    """`data:<field>:<language>` process properties: a declared data field's name and its options' names."""
    props = element_properties(process)
    suffix = f":{language}"
    for name, value in props.items():
        if not name.startswith("data:") or not name.endswith(suffix) or name.count(":") != 2:
            continue
        key = name[5:-len(suffix)].strip()
        declared = props.get(f"data:{key}")
        if declared is None:
            problems.append((process, Message("translation_data_unknown", key=name, field=key)))
            continue
        label, *settings = [part.strip() for part in value.split(";")]
        if not label or len(label) > MAX_NAME:
            problems.append((process, Message("translation_length", key=name, limit=MAX_NAME)))
            continue
        own = {code.partition(":")[0].strip() for part in declared.split(";")[1:]
               if part.strip().startswith("options=") for code in part.strip()[8:].split("|")}
        named = []
        for setting in filter(None, settings):
            option_list = setting[8:] if setting.startswith("options=") else None
            pairs = _pairs(option_list) if option_list is not None else None
            if option_list is None:
                problems.append((process, Message("translation_data_setting", key=name)))
            elif pairs is None:
                problems.append((process, Message("translation_options_form", field=key, key=name)))
            else:
                unknown = [o for o, _ in pairs if o not in own]
                problems += [(process, Message("translation_option_unknown", field=key, key=name, option=o,
                                               options=", ".join(sorted(c for c in own if c)))) for o in unknown]
                named += [(o, n) for o, n in pairs if o in own]
        cat.fields[key] = label
        for option, option_name in named:
            cat.values[(key, option)] = option_name


def of_files(files: dict[str, bytes | str], language: str = "en") -> dict[str, Catalog]:
    """The catalogues of every process in a set of BPMN files (what a version deployed)."""
    out: dict[str, Catalog] = {}
    for name, content in files.items():
        if not name.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(content.encode("utf-8") if isinstance(content, str) else content,
                                    etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
        except etree.XMLSyntaxError:
            continue
        for process_id, catalog in read(root, language)[0].items():
            out.setdefault(process_id, catalog)
    return out


_cache: dict[tuple[str, int, str], dict[str, Catalog]] = {}
_CACHED = 512


def of_definition(session, definition) -> dict[str, Catalog]:
    """The catalogues of a deployed version (its files never change, so they are read once per process). Kept by
    database, id and content: a database emptied and deployed again gives its versions the same ids."""
    key = (str(session.get_bind().url), definition.id, definition.content_hash)
    found = _cache.get(key)
    if found is None:
        from .repository import files_of  # the repository builds on the compiler, which builds on this module

        if len(_cache) >= _CACHED:
            _cache.clear()
        found = _cache[key] = of_files(files_of(session, definition))
    return found


def own_first(session, definition, process_key: str | None) -> list[Catalog]:
    """A deployed version's catalogues (none for no version), its own process's first: a name is looked up in the
    process it belongs to before the processes the version calls."""
    found = of_definition(session, definition) if definition is not None else {}
    own = definition.process_key if definition is not None else process_key
    return [found[own]] * (own in found) + [c for p, c in found.items() if p != own]
