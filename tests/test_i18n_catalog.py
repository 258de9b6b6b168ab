"""Every user-facing string has a Japanese translation, and the compiled catalog is current."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_i18n_catalog_complete_and_compiled():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "i18n.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_i18n_japanese_by_default_english_on_request(client):
    assert "DX人材ハブ" in client.get("/").get_data(as_text=True)
    assert "DX Talent Hub" in client.get("/?lang=en").get_data(as_text=True)
    # the choice is remembered for the next page
    assert "DX Talent Hub" in client.get("/").get_data(as_text=True)


def test_i18n_error_pages_speak_the_users_language(client):
    japanese = client.get("/no/such/page", headers={"Accept-Language": "ja"})
    assert japanese.status_code == 404
    assert "ページが見つかりません" in japanese.get_data(as_text=True)
    english = client.get("/no/such/page?lang=en")
    assert "Page not found" in english.get_data(as_text=True)
    api = client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.is_json  # the API keeps answering JSON
