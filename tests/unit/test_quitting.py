from __future__ import annotations

from kore_tui.tui.quitting import quit_question


def test_nothing_unfinished_and_nothing_temporary_quits_without_asking() -> None:
    assert quit_question({}, {}, "prod") is None


def test_unfinished_jobs_of_a_configured_environment_resume() -> None:
    question = quit_question({"prod": 3}, {}, "prod")
    assert question is not None
    assert "3 job(s) are not final yet" in question and "resume" in question
    # Named with one environment too ("… this environment" did not say which, on prod).
    assert "in prod" in question, question
    several = quit_question({"prod": 3, "staging": 2}, {}, "prod")
    assert several is not None and "5 job(s)" in several and "2 in staging" in several


def test_the_demo_asks_even_when_final_and_never_promises_a_resume() -> None:
    """An operator's F3, q, q ended the demo at once: its journal is a temporary folder,
    so the session's jobs and history were gone; with jobs in flight the question said
    they would resume next time, which the demo cannot do."""
    final = quit_question({}, {"demo": 30}, "demo")
    assert final is not None and "its 30 job(s) and their history are deleted" in final
    assert "end with the console" not in final, "said of finished jobs, it read as a threat"
    assert "resume the next" not in final
    flying = quit_question({"demo": 25}, {"demo": 30}, "demo")
    assert (
        flying is not None
        and "30 job(s) (25 not final yet) and their history are deleted" in flying
    )
    assert "resume the next" not in flying
    assert quit_question({}, {}, "demo") is None, "an empty demo quits at once"


def test_a_bounce_whose_redeploy_is_not_sent_yet_is_named() -> None:
    """q mid-bounce asked only about jobs that resume: a bounce's redeploy is sent by this
    console alone, so quitting leaves the model undeployed (reported next time, never
    sent on its own) and the question did not say so."""
    model = "cm-9b810e76-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    question = quit_question({"prod": 2}, {}, "prod", pending_bounces=[("prod", model)])
    assert question is not None
    assert f"1 bounce(s) have not sent their redeploy yet ({model} in prod)" in question
    assert "left undeployed" in question and "kore-tui deploy" in question
    assert "bounce" not in (quit_question({"prod": 2}, {}, "prod") or "")
    alone = quit_question({}, {}, "prod", pending_bounces=[("prod", model)])
    assert alone is not None and "left undeployed" in alone
    many = quit_question({}, {}, "prod", pending_bounces=[("prod", f"cm-{i}") for i in range(5)])
    assert many is not None and "5 bounce(s)" in many and "cm-2 in prod and 2 more" in many


def test_the_question_counts_the_jobs_stopped_with_x_too() -> None:
    """An operator's run: '4 job(s) are not final yet in stage', and on exit a fifth was
    named, '(tracking stopped with x)': the question had not counted it."""
    question = quit_question({"stage": 4}, {}, "stage", stopped={"stage": 1})
    assert question is not None
    assert "1 more whose tracking you stopped (x) is not resumed" in question, question
    assert "its status command is printed on exit" in question
    # Stopped jobs alone ask nothing: stopping was the operator's word.
    assert quit_question({}, {}, "stage", stopped={"stage": 1}) is None
