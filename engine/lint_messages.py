"""Every message the validator gives a process designer, by code (English templates; the web layer says them in
the user's language by these words, so keep a wording and its translation in step). `M(code, **params)` makes
one; a parameter may itself be a message (the part of an element, the reason an expression is refused)."""
from __future__ import annotations

from .errors import Message, catalogue

MESSAGES = catalogue({
    # the parts of an element a message is about
    "part_condition": "condition",
    "part_event_condition": "event condition",
    "part_message_payload": "message payload",
    "part_script": "script",
    "part_department": "department",
    "part_department_expression": "department expression",
    "part_loop_cardinality": "loop cardinality",
    "part_completion_condition": "completion condition",
    "part_due_date": "due date",
    "part_follow_up_date": "follow-up date",
    "part_timer": "timer",
    "part_timer_cycle": "timer cycle",
    "part_input_expression": "input expression",
    "part_output_cell": "output cell",
    "part_required_if": "required_if",
    "part_valid_if": "valid_if",
    # kinds of BPMN elements
    "kind_startEvent": "start event", "kind_endEvent": "end event", "kind_userTask": "user task",
    "kind_serviceTask": "service task", "kind_scriptTask": "script task", "kind_businessRuleTask": "business rule task",
    "kind_callActivity": "call activity", "kind_task": "task", "kind_manualTask": "manual task",
    "kind_sendTask": "send task", "kind_receiveTask": "receive task", "kind_subProcess": "sub-process",
    "kind_exclusiveGateway": "exclusive gateway", "kind_parallelGateway": "parallel gateway",
    "kind_inclusiveGateway": "inclusive gateway", "kind_eventBasedGateway": "event-based gateway",
    "kind_intermediateCatchEvent": "intermediate catch event",
    "kind_intermediateThrowEvent": "intermediate throw event", "kind_boundaryEvent": "boundary event",
    # kinds of event definitions
    "def_message": "message", "def_signal": "signal", "def_timer": "timer", "def_conditional": "conditional",
    "def_link": "link", "def_compensate": "compensate", "def_error": "error", "def_escalation": "escalation",
    "def_cancel": "cancel", "def_terminate": "terminate",
    # expressions
    "expr_empty": "{what} is empty",
    "expr_refused": "{what} {text!r} is refused: {reason}",
    "cell_comma_list": "cell {text!r} is a comma list, which never matches; write ? in ({text})",
    "cell_refused": "cell {text!r} is refused: {reason}",
    "cell_feel_refused": "table {table!r}, rule {row} ({rule}), column {column!r}: cell {text!r} is refused: {reason}",
    "feel_bad_value": "{text!r} is not a valid value of {kind}(…)",
    "feel_year_month": "duration {text!r} counts years or months, which case data cannot be compared with; write days (P30D)",
    # why an expression is refused
    "expr_while": "line {line}: while loops are not allowed (loop over data with for instead)",
    "expr_power": "line {line}: ** needs a whole-number exponent of at most {limit}",
    "expr_import": "line {line}: imports are not allowed",
    "expr_statement": "line {line}: {kind} statements are not allowed",
    "expr_unavailable": "line {line}: {name}() is not available",
    "expr_method": "line {line}: .{name}() is not allowed",
    "expr_format_method": "line {line}: .{name}() is not allowed; use an f-string",
    "expr_too_long": "the text is longer than {limit} characters",
    "expr_syntax": "syntax error on line {line}: {detail}",
    "expr_unclosed": "syntax error on line {line}: {bracket!r} was never closed",
    "expr_unmatched": "syntax error on line {line}: unmatched {bracket!r}",
    "expr_unterminated": "syntax error on line {line}: a text in quotes is not closed",
    "expr_nested": "the expression is nested too deeply to read",
    "expr_underscore": "line {line}: {name!r} begins with _, which is reserved",
    "expr_reserved": "line {line}: {name!r} is a reserved name",
    "expr_sandbox": "line {line}: not allowed in the sandbox ({detail})",
    "expr_not_allowed": "not allowed",
    "expr_beyond": "line {line}: {segment!r} is beyond the limits: {detail}",
    "expr_reasons": "{first}; {rest}",
    # files
    "file_kind": "only .bpmn and .dmn files can be deployed",
    "xml_malformed": "XML is not well-formed (line {line})",
    "xml_too_deep": "XML is nested more than 255 levels deep (line {line}), more than the engine reads; move deeply "
                    "nested sub-processes into called processes",
    "xml_dtd": "the file declares a DTD or entities (<!DOCTYPE …>, line {line}), which BPMN and DMN files must not: "
               "remove the declaration",
    "not_this_kind": "this is not a {expected} file: its root element is <{root}> in namespace {namespace!r}, "
                     "not {expected} <definitions>",
    "no_process": "no BPMN process in the files given",
    "no_executable": 'no executable process: every process is marked isExecutable="false"; mark the one to run '
                     "as executable",
    "dmn_unreadable": "the DMN file could not be read",
    "spiff_file": "SpiffWorkflow cannot read this file ({error}); nothing was deployed",
    "spiff_process": "SpiffWorkflow cannot run this process ({error}); nothing was deployed",
    "spiff_element": "this {what} cannot be run by the engine (SpiffWorkflow refused it); nothing was deployed",
    "diagram_too_deep": "the diagram is too long or too deeply nested for the engine to read (more elements in a row "
                        "or levels of sub-processes than it can follow); split it into called processes; nothing was "
                        "deployed",
    "spiff_refused": "SpiffWorkflow refused this element",
    "spiff_element_word": "element",
    # ids, messages, lanes
    "duplicate_id": "duplicate id {ident!r} (also on line {line})",
    "message_no_ref": "message event names no message (messageRef)",
    "message_undefined": "message event refers to message {ref!r}, which is not defined",
    "message_name": "message {ref!r} needs a name of letters, digits and _ (it becomes the data key)",
    "key_prefix": "key_prefix {prefix!r} must be 2 to 8 capital letters (e.g. ADM)",
    "lane_unnamed": "lane has no name; name it after a department",
    "lane_unknown": "lane {name!r} does not match any department (code, Chinese or English name, or alias)",
    # call activities and rules
    "result_key": "result_key {key!r} must name a data field (letters, digits, _)",
    "call_no_process": "call activity has no called process (calledElement)",
    "call_missing": "calls process {called!r}, which is not in the files being deployed",
    "call_cycle": "calls process {called!r}, which leads back to this process ({path}): a case would open called "
                  "processes without end",
    "call_documentary": 'calls process {called!r}, which is marked not executable (isExecutable="false")',
    "rule_no_decision": "business rule task has no decision (camunda:decisionRef)",
    "rule_unknown_decision": "decision {ref!r} is not defined in any .dmn file being deployed",
    "decision_basis": "decision_basis {value!r} must be one of: {known} (who may see the decision's basis)",
    # process properties
    "owner_department": "owner_department {value!r} is not a department",
    "withdraw_message": "withdraw_message {value!r} is not the name of a message defined in this file",
    "retention_years": "retention_years {value!r} must be a whole number of years from 1 to 100",
    "case_target": "case_target_workdays {value!r} must be a whole number of working days from 1 to 365",
    "kpi_field": "kpi_{name}_field {value!r} must name a data field (letters, digits, _)",
    "outcome_needs_milestone": "outcome and outcome_field need a milestone property on the same element",
    "milestone_name": "milestone {value!r} must be a lower-case name such as accepted or decided",
    "outcome_code": "outcome {value!r} must be a lower-case code such as rejected",
    "outcome_field": "outcome_field {value!r} must name a data field",
    "outcome_both": "give either outcome or outcome_field, not both",
    "stops_clock_reason": "stops_clock {value!r} must be one of: {known} (who the case waits on)",
    "stops_clock_department": "stops_clock department belongs on a call activity (the other department's process, "
                              "e.g. a 函询)",
    "stops_clock_element": "stops_clock belongs on an element where the case waits ({known}), not on a {kind}",
    "multi_collection": "multi-instance collection {value!r} must name a data item (e.g. departments), not an "
                        "expression",
    "multi_element_variable": "a multi-instance step with a collection needs an element variable "
                              "(camunda:elementVariable): the name each instance's item goes by, e.g. department",
    "multi_element_name": "multi-instance element variable {value!r} must be a name (letters, digits and _, starting "
                          "with a letter)",
    # flows
    "flow_no_end": "sequence flow has no {end}",
    "flow_unknown_end": "sequence flow {end} {ref!r} names no element in this process",
    "no_outgoing": "{kind} has no outgoing flow: a case would stop here without ending; connect it or end with an "
                   "end event",
    "no_incoming": "{kind} has no incoming flow, so it can never be reached",
    "many_outgoing": "{kind} has {count} outgoing flows; add an explicit gateway",
    "parallel_loop_merge": "parallel gateway merges a loop: flows {entries} enter it from before the loop and {back} "
                           "come back round it, but a parallel gateway waits for all its incoming flows, so the case "
                           "would stall; use an exclusive gateway as the loop's merge",
    "gateway_flow": "flow leaving a decision gateway has no condition and is not the default flow",
    # user tasks
    "candidate_group": "candidate group {value!r} is not a role; use one of {known}",
    "task_no_lane": "user task is in no lane, so no department would receive it",
    "priority": "priority {value!r} must be a whole number",
    "countersign_value": "countersign {value!r} must be all, any or ratio:<share> with a share above 0 and at most 1 "
                         "(e.g. ratio:0.6)",
    "countersign_parallel": "countersign needs a parallel multi-instance user task (one instance per signer)",
    "attach_field": "attach {value!r} must name the data field that lists the documents kept at the step (letters, "
                    "digits, _)",
    "shows_field": "shows {value!r} must name a data field, or record.field for a field of a called process's answers "
                   "(letters, digits, _)",
    "countersign_record": "countersign_record {value!r} must name a data field (letters, digits, _) on a task with a "
                          "countersign property",
    "cc_department": "cc names {value!r}, which is not a department code",
    "task_reference": "{prop} names {value!r}, which is not another user task of this file",
    # dates and timers
    "due_not_iso": "{what} {text!r} is neither a valid ISO 8601 date/duration nor an expression",
    "due_not_date": "{what} {text!r} is not a valid date",
    "due_not_duration": "{what} {text!r} is not a valid ISO 8601 duration",
    "timer_one": "timer needs exactly one of timeDate, timeDuration or timeCycle",
    "cycle_invalid": "timer cycle {text!r} is not a valid ISO 8601 repeating interval (e.g. R3/PT1H)",
    "cycle_too_short": "timer cycle {text!r} repeats every {seconds} seconds; a cycle must repeat at most once a minute "
                       "(PT1M or longer), or its rounds would keep the engine busy without end",
    "instances_too_many": "loop cardinality {text!r} asks for more instances than the {limit} a multi-instance step "
                          "runs: every case would fail here",
    "join_too_wide": "gateway joins {count} flows; at most {limit} are taken (each branch arriving looks at every "
                     "other): join them in stages or use a multi-instance step",
    "cycle_too_long": "timer cycle {text!r} repeats less than once in 100 years",
    "duration_too_long": "{what} {text!r} is longer than 100 years",
    "duration_signed": "{what} {text!r} has a sign: an ISO 8601 duration has none and counts forward; write {plain!r}",
    "span_beyond": "{what} {text!r} asks {function}() for {value}, which is more than 100 years or not a finite number: "
                   "every case would fail here",
    "sla_kind": "sla property {value!r} must be one of {known}",
    # service tasks
    "service_no_topic": "service task has no topic; set Implementation: External with a topic",
    "service_unknown": "no service handler is registered for topic {topic!r} (known: {known})",
    # DMN
    "hit_policy": "hit policy {value} is not supported; use UNIQUE, FIRST or COLLECT",
    "hit_aggregation": "COLLECT with aggregation {value} is not supported (the outputs would come back as a list, not "
                       "its {value}); remove the aggregation and add the outputs up in a script task",
    "unique_overlap": "hit policy UNIQUE, but rule {first} ({first_id}) and rule {second} ({second_id}) overlap: some "
                      "input matches both; make the rules disjoint or use FIRST (the first matching rule in order wins)",
    "decision_not_unique": "decision table {table!r} has hit policy UNIQUE, but rules {rows} all match this case's "
                           "values: change the rules so that only one can match (or make the table FIRST)",
    "unique_overlap_more": "hit policy UNIQUE, and more rules overlap than the first {limit} pairs named here",
    "unique_too_many": "hit policy UNIQUE with {count} rules: at most {limit} can be checked for overlapping rules; "
                       "split the table or use FIRST (the first matching rule in order wins)",
    "shared_only_decision": "a shared rule table (applied_by) must be the only decision of its file, so that its "
                            "versions are the file's",
    "applied_by_empty": "applied_by must list the departments that apply this table (e.g. EDU,HRSS)",
    "applied_by_unknown": "applied_by names {value!r}, which is not a department",
    # forms
    "field_where": "form field {field!r}",
    "field_where_unnamed": "form field",
    "field_problem": "{where}: {problem}",
    "field_id": "id must start with a letter and use only letters, digits and _",
    "field_twice": "id is used twice in this form",
    "field_hides": "id hides the expression name {name}(); rename the field",
    "field_type": "type {value!r} is not supported; use one of {known}",
    "field_enum_empty": "an enum field needs at least one value",
    "field_condition_empty": "{name} has no condition (its value)",
    "field_not_option_of": "not_option_of must name a data field, on a choice (enum) field",
    "field_answer_kind": "{name} names an answer of a boolean field; this is a {kind} field",
    "field_step_property": "{name} is a property of the step, not of a form field: move it to the user task's own "
                           "properties (here it is ignored)",
    "field_answer_empty": "{name} is empty; give the answer's name (e.g. 通过)",
    "field_decision_default": "a required yes/no field is a decision and takes no default; remove defaultValue or the "
                              "required constraint",
    "field_default": "default {value!r} is not one of its values",
    "constraint_unnamed": "a constraint has no name; use one of {known}",
    "constraint_no_config": "constraint {name} has no config (its value)",
    "constraint_unknown": "constraint {name!r} is not supported; use one of {known}",
    "constraint_number": "constraint {name} needs a whole number, not {value!r}",
    "constraint_bound": "constraint {name}={value!r} does not fit a {kind} field",
    "constraint_pattern": "constraint pattern {value!r} is not a regular expression this engine runs in linear time "
                          "(RE2: no back-references or look-around)",
    # data declarations (data:<field> process properties) and personal-data marks
    "data_where": "process property data:{key}",
    "data_key": "{key!r} is not a data field name (letters, digits and _)",
    "data_department": "department {value!r} is not a department",
    "data_setting": "unknown setting {name!r} (known: {known})",
    "data_flag": "unknown flag {name!r} (known: {known})",
    "data_personal": "personal {value!r} is not one of {known}",
    "data_option": "option {value!r} is not code:name",
    "field_personal": "form field {field}: personal {value!r} is not one of {known}",
    # constructs of other modelers
    "foreign_definition": "a {definition} {kind} is not supported by the engine; {instead}",
    "foreign_instead_compensate": "model the undo steps (for example 冲正) as an explicit path after a gateway",
    "foreign_instead_boundary": "catch the {definition} with a boundary event on the activity that raises it",
    "foreign_instead_other": "use a message, signal, timer or error event instead",
    "foreign_combined": "{kind} combines several event definitions with a link or compensation; give it one",
    "foreign_form": "{vendor} form property {name!r} is not read by this engine, so the form would be empty; define the "
                    "form with camunda:formData (Camunda Modeler: Forms)",
    "link_unnamed": "link throw event has no link name; give it the name of its catch link event",
    "link_no_catch": "link {name!r} is thrown here but no catch link event of that name is in the same (sub-)process",
    "link_many": "link {name!r} has {count} catch link events in the same (sub-)process; a link must lead to exactly "
                 "one",
    "link_no_throw": "catch link event {name!r} has no throw link event of that name in the same (sub-)process, so it "
                     "can never be reached",
})


def M(code: str, /, **params) -> Message:
    """A validator message by its code (see MESSAGES)."""
    return Message(code, **params)


def definition_words(definition: str) -> Message | str:
    """An event definition's kind in words (message, timer …); an unknown one as it is."""
    return M(f"def_{definition}") if f"def_{definition}" in MESSAGES else definition


def kind(element_kind: str) -> Message | str:
    """A BPMN element kind in words (user task, end event); an unknown one as it is."""
    return M(f"kind_{element_kind}") if f"kind_{element_kind}" in MESSAGES else element_kind
