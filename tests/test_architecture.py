"""Layering holds: web → workflows → engine, and the engine never imports a web framework."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_bpmn_folder_holds_only_bpmn_and_dmn():
    stray = [p.name for p in (ROOT / "bpmn").rglob("*") if p.is_file() and p.suffix not in (".bpmn", ".dmn")]
    assert stray == []
