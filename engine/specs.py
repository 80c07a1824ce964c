"""SpiffWorkflow extensions: the parser flavour we deploy with, service tasks by topic, timer texts."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser, GatewayParser
from SpiffWorkflow.bpmn.specs.defaults import CallActivity as _SpiffCallActivity
from SpiffWorkflow.bpmn.specs.defaults import ManualTask as _SpiffManualTask
from SpiffWorkflow.bpmn.specs.defaults import NoneTask as _SpiffNoneTask
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as _SpiffServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS
from SpiffWorkflow.camunda.parser.task_spec import CallActivityParser as _SpiffCallActivityParser

from . import wallclock
from .errors import Message, catalogue
from .functions import cycle_beyond_a_century
from .joins import InclusiveGateway, ParallelGateway

_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$", re.I)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_CYCLE = re.compile(r"^R\d*/\S+$", re.I)
MIN_CYCLE_SECONDS = 60  # a timer cycle repeats at most once a minute (one of no length fires all its rounds at once)
MAX_CALL_DEPTH = 10  # called processes within called processes: deeper is a process calling itself
MAX_ENGINE_STEPS = 2_500  # elements the engine runs in one operation without a person's step (a loop without end)
MAX_INSTANCES = 1000  # instances of one multi-instance step (10**6 held a case start for minutes, memory growing)

MESSAGES = catalogue({  # what a case that cannot go on says (after the step's id)
    "run_cycle_too_short": "timer cycle {text!r} repeats every {seconds} seconds; a cycle must repeat at most once a "
                           "minute (PT1M or longer)",
    "run_cycle_too_long": "timer cycle {text!r} repeats less than once in 100 years",
    "run_too_many_steps": "ran more than {limit} elements in one go without waiting for anyone; does the process loop "
                          "without end?",
    "run_too_many_instances": "would run {count} instances; a multi-instance step runs at most {limit}",
    "run_cardinality_not_a_number": "loop cardinality {text!r} gave {kind}, not a whole number; to run the step once "
                                    "for each item of a list, name the list as its collection (camunda:collection) "
                                    "and the item's name as its element variable (camunda:elementVariable)",
    "kind_list": "a list",
    "kind_text": "text",
    "kind_decimal": "a decimal number",
    "kind_truth": "true or false",
    "kind_nothing": "nothing",
    "kind_other": "a value of another kind",
    "run_call_too_deep": "calls process {called!r} more than {limit} called processes deep; does a process call "
                         "itself?",
})


class ServiceTask(_SpiffServiceTask):
    """A service task that calls the handler registered under its Camunda external-task topic."""

    def __init__(self, wf_spec, bpmn_id, topic: str | None = None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _execute(self, task):
        return task.workflow.script_engine.call_service(task, topic=self.topic)


class NoneTask(_SpiffNoneTask):
    """A plain `task`: work the diagram documents but nobody does in the engine, so it passes through
    (as in Camunda). Work for a person is a user task in a lane."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class ManualTask(_SpiffManualTask):
    """A `manualTask`: done outside any system, so it passes through (as in Camunda)."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class CallActivity(_SpiffCallActivity):
    """A call activity whose called process's results also arrive under `result_key` (its extension property):
    two inquiries running in parallel branches of one case then keep their own answers when the branches join,
    where the flat names (`answer`, `questions` …) of one would overwrite the other's."""

    def __init__(self, wf_spec, bpmn_id, subworkflow_spec, result_key: str | None = None, **kwargs):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.result_key = result_key

    def start_workflow(self, my_task):
        depth, workflow = 0, my_task.workflow
        while getattr(workflow, "parent_task_id", None) is not None:  # a sub-workflow: count the calls above it
            parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            depth += isinstance(parent.task_spec, _SpiffCallActivity)
            workflow = parent.workflow
        if depth >= MAX_CALL_DEPTH:
            my_task.error()
            raise WorkflowTaskException(Message("run_call_too_deep", called=self.spec, limit=MAX_CALL_DEPTH),
                                        task=my_task)
        super().start_workflow(my_task)

    def update_data(self, my_task, subworkflow):
        before = my_task.data
        super().update_data(my_task, subworkflow)
        if self.result_key:
            my_task.data[self.result_key] = {k: v for k, v in my_task.data.items()
                                              if k != self.result_key and (k not in before or before[k] != v)}


class _InstanceLimit:
    """A multi-instance step that fails the case, naming itself, before it would make more than MAX_INSTANCES
    instances (a loop cardinality or a collection from the case's data). Its cardinality is evaluated once: the
    hooks below (Camunda's number-or-collection check, then SpiffWorkflow's instances) get that value."""

    def _update_hook(self, my_task):
        my_task._inherit_data()  # what the step counts comes from the case's data (the hooks below take it again)
        if self.cardinality is None:
            reference = self.data_input or self.data_output
            known = reference is not None and reference.exists(my_task)
            self._check_count(my_task, reference.get(my_task) if known else None)
            return super()._update_hook(my_task)
        expression = self.cardinality
        value = my_task.workflow.script_engine.evaluate(my_task, expression)
        if not isinstance(value, int) or isinstance(value, bool):
            # Camunda's hook would take a list here as the step's collection by rewriting the spec, which every case
            # of the process version shares: the next case then failed with "'NoneType' object has no attribute
            # 'bpmn_id'". A loop cardinality is a number (as in Camunda 7); a list is given as the collection.
            raise WorkflowTaskException(Message("run_cardinality_not_a_number", text=expression.strip(),
                                                kind=_kind(value)), task=my_task)
        self._check_count(my_task, value)
        with _evaluated(my_task, expression, value):
            return super()._update_hook(my_task)

    @staticmethod
    def _check_count(my_task, items) -> None:
        """How many instances the step is about to make: its cardinality, or the length of its collection."""
        count = items if isinstance(items, int) else len(items) if isinstance(items, (list, tuple, dict, set, str)) else 0
        if count > MAX_INSTANCES:
            raise WorkflowTaskException(Message("run_too_many_instances", count=count, limit=MAX_INSTANCES), task=my_task)


def _kind(value) -> Message:
    """What kind of value an expression gave, in words."""
    kinds = ((bool, "kind_truth"), (float, "kind_decimal"), (str, "kind_text"), ((list, tuple, set), "kind_list"),
             (type(None), "kind_nothing"))
    return Message(next((code for types, code in kinds if isinstance(value, types)), "kind_other"))


@contextmanager
def _evaluated(my_task, expression: str, value):
    """Within the block, the workflow's script engine answers `expression` for `my_task` with `value` instead of
    evaluating it again; everything else it evaluates as usual. The engine belongs to one operation (a thread)."""
    engine = my_task.workflow.script_engine
    outer = vars(engine).get("evaluate")  # a block around this one (on another step)
    evaluate = engine.evaluate

    def known(task, text, *args, **kwargs):
        return value if task is my_task and text == expression else evaluate(task, text, *args, **kwargs)

    engine.evaluate = known
    try:
        yield
    finally:
        if outer is None:
            del engine.evaluate
        else:
            engine.evaluate = outer


_LIMITED: dict[type, type] = {}


def limit_instances(spec) -> None:
    """Make a parsed multi-instance step keep to MAX_INSTANCES (see _InstanceLimit); other steps stay as they are."""
    base = type(spec)
    if isinstance(spec, MultiInstanceTask) and not issubclass(base, _InstanceLimit):
        spec.__class__ = _LIMITED.setdefault(base, type(f"Limited{base.__name__}", (_InstanceLimit, base), {}))


class CallActivityParser(_SpiffCallActivityParser):
    """Reads the `result_key` extension property into the call activity's spec."""

    def create_task(self):
        spec = super().create_task()
        found = self.node.xpath(".//camunda:property[@name='result_key']/@value", namespaces={"camunda": CAMUNDA_MODEL_NS})
        spec.result_key = found[0].strip() if found else None
        return spec


class ServiceTaskParser(TaskParser):
    """Reads `camunda:topic` (Implementation: External in Camunda Modeler) into the task spec."""

    def create_task(self):
        topic = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}topic")
        return self.spec_class(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


class JointReviewParser(CamundaParser):
    """Camunda flavour (forms, DMN, multi-instance in the BPMN) plus topic-based service tasks and parallel joins
    that work in loops."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, ServiceTask),
        full_tag("task"): (TaskParser, NoneTask),
        full_tag("manualTask"): (TaskParser, ManualTask),
        full_tag("callActivity"): (CallActivityParser, CallActivity),
        full_tag("parallelGateway"): (GatewayParser, ParallelGateway),  # joins of their own round (joins.py)
        full_tag("inclusiveGateway"): (ConditionalGatewayParser, InclusiveGateway),
    }


def unwrap(text: str | None) -> str:
    """Strip a Camunda `${...}` wrapper so `${workdays(3)}` and `workdays(3)` mean the same."""
    text = (text or "").strip()
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    if text.startswith("#{") and text.endswith("}"):
        return text[2:-1].strip()
    return text


def literal_kind(text: str) -> str | None:
    """'duration', 'datetime' or 'cycle' when `text` is an ISO 8601 literal as modelers write it."""
    text = text.strip()
    if _DURATION.match(text):
        return "duration"
    if _DATETIME.match(text):
        return "datetime"
    if _CYCLE.match(text):
        return "cycle"
    return None


def _aware_literal(text: str, tz: ZoneInfo) -> str:
    moment = datetime.fromisoformat(text.replace(" ", "T"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()


def due_expression(text: str | None, tz: ZoneInfo) -> str | None:
    """The expression that computes a due moment from a timer or due-date text (literal or expression)."""
    text = unwrap(text)
    if not text:
        return None
    kind = literal_kind(text)
    if kind == "duration":
        return f"timer_due({text.upper()!r})"
    if kind == "datetime":
        return repr(_aware_literal(text, tz))
    return f"timer_due({text})"


def cycle_expression(text: str | None, tz: ZoneInfo) -> str:
    """The expression for a timeCycle: a quoted literal (start times made aware) or the expression itself."""
    text = unwrap(text)
    if literal_kind(text) == "cycle":
        parts = text.split("/")
        parts = [_aware_literal(p, tz) if _DATETIME.match(p) else p for p in parts]
        return repr("/".join(parts))
    return text


def normalize_timers(task_specs, tz: ZoneInfo) -> None:
    """Make every timer use restricted-safe, tz-aware expressions (modeler literals included).

    Date and duration timers both become date timers whose expression yields an aware ISO moment, so a
    duration may also be written as `workdays(3)`.
    """
    for spec in task_specs:
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, MultipleEventDefinition):  # event-based gateways hold their branches' timers
            definition.event_definitions = [_normalized(d, tz) for d in definition.event_definitions]
        elif isinstance(definition, TimerEventDefinition):
            spec.event_definition = _normalized(definition, tz)


class ClockedTimeDate(TimeDateEventDefinition):
    """A date timer that asks the engine's clock (not the wall clock) whether it has fired."""

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        # due at a moment is fired at that moment, as the worker reads it (next_due_at <= now)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= wallclock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycle(CycleTimerEventDefinition):
    """A cycle timer that asks the engine's clock whether its next round is due."""

    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if cycle_beyond_a_century(expression):  # read month by month, such a cycle would never be read
                raise WorkflowTaskException(Message("run_cycle_too_long", text=str(expression)[:200]), task=my_task)
            cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        if event_value["cycles"] != 0 and event_value["duration"] < MIN_CYCLE_SECONDS:  # would fire without end
            raise WorkflowTaskException(Message("run_cycle_too_short", text=str(self.expression)[:200],
                                                seconds=f"{event_value['duration']:g}"), task=my_task)
        ready = False
        if event_value["cycles"] != 0:
            next_event, now = datetime.fromisoformat(event_value["next"]), wallclock.now()
            if next_event <= now:  # the rounds due by now fire once (a start in 2000 fired every minute since, each
                period = timedelta(seconds=event_value["duration"])  # round a step of its own: the worker never rested)
                missed = (now - next_event) // period + 1
                event_value["next"] = (next_event + missed * period).isoformat()
                if event_value["cycles"] > 0:
                    event_value["cycles"] = max(event_value["cycles"] - missed, 0)
                event_value["fired"] = event_value.get("fired", 0) + 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _normalized(definition, tz: ZoneInfo):
    if not isinstance(definition, TimerEventDefinition):
        return definition
    if isinstance(definition, CycleTimerEventDefinition):
        replacement = ClockedCycle(definition.name, cycle_expression(definition.expression, tz))
        replacement.description = getattr(definition, "description", None)
        return replacement
    replacement = ClockedTimeDate(definition.name, due_expression(definition.expression, tz))
    replacement.description = getattr(definition, "description", None)
    return replacement
