"""Reading an answer by the prompt's return: prompts in pieces, several on one line, repainted
echoes, and a prompt that has not come whole yet."""

from __future__ import annotations

from noc.config.models import CISCO_IOS, HUAWEI, LINUX, MIKROTIK
from noc.config.reading import answer, plain, prompt_in

ROS = "[admin@bts-07] > "


def test_the_prompt_is_learnt_whole_and_the_last_of_a_row() -> None:
    assert prompt_in("\r\n[admin@", MIKROTIK.prompt) is None
    assert prompt_in(f"\r\n{ROS}{ROS}{ROS}", MIKROTIK.prompt) == ROS.strip()
    assert prompt_in("\r\n[admin@bts-07] /ip address> ", MIKROTIK.prompt) == (
        "[admin@bts-07] /ip address>"
    )
    assert prompt_in("core-2#core-2#", CISCO_IOS.prompt) == "core-2#"
    assert prompt_in("\ncore-2>", CISCO_IOS.prompt) == "core-2>"
    assert prompt_in("\n<bogor-agg>", HUAWEI.prompt) == "<bogor-agg>"
    assert prompt_in("noc@srv-web-1:~$ ", LINUX.prompt) == "noc@srv-web-1:~$"
    assert prompt_in("Password: ", LINUX.prompt) is None


def test_an_answer_ends_at_the_whole_prompt_only() -> None:
    command = "/export terse"
    sent = f"{ROS}\r\n{ROS}{command}\r\n/system identity set name=bts-07\r\n"
    assert answer(sent, command, ROS.strip()) is None  # output still coming
    assert answer(sent + "[adm", command, ROS.strip()) is None  # the prompt's first piece
    whole = answer(sent + ROS, command, ROS.strip())
    assert whole == "/system identity set name=bts-07"


def test_repainted_echoes_and_escapes_are_not_the_answer() -> None:
    command = "/system package print"
    got = f"{command}\r\n\r{ROS}{command}\r\n\x1b[m\x1b[32m0 routeros 7.16.2\x1b[m\r\n{ROS}\r{ROS}"
    assert answer(got, command, ROS.strip()) == "0 routeros 7.16.2"
    assert plain("a\r\nb\rc\x1b[K") == "a\nb\nc"


def test_no_echo_no_answer() -> None:
    assert answer(f"\r\n{ROS}", "/export terse", ROS.strip()) is None


def test_an_echo_inside_an_earlier_prompt_leaves_no_piece_of_it() -> None:
    command = "/export terse"
    got = f"[admin@{command}\r\nbts-07] > \r{ROS}{command}\r\n/system identity set name=x\r\n{ROS}"
    assert answer(got, command, ROS.strip()) == "/system identity set name=x"


def test_prompts_in_a_row_after_a_cut_echo_are_not_the_answer() -> None:
    command = "/system package print"
    got = f"[admin@{command}\r\nbts-07] > {ROS}\r{ROS}{command}\r\n0 routeros 7.16.2\r\n{ROS}"
    assert answer(got, command, ROS.strip()) == "0 routeros 7.16.2"


def test_a_whole_prompt_after_the_tail_of_an_earlier_one_is_not_the_end() -> None:
    """Returns sent before the command are still being answered when it is echoed: the
    prompts that follow the echo belong to them, and the command's own output is yet to come."""
    command = "/system package print"
    early = f"[admin@{command}\r\nbts-07] > {ROS}"
    assert answer(early, command, ROS.strip()) is None
    later = early + f"\r{ROS}{command}\r\n0 routeros 7.16.2\r\n{ROS}{ROS}"
    assert answer(later, command, ROS.strip()) == "0 routeros 7.16.2"
