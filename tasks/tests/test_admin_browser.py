"""The admin as staff see it: a real headless Chromium signs in and opens the task list."""

import struct
import zlib
from pathlib import Path

import pytest

from tasks.tests.factories import TaskFactory
from users.tests.factories import UserFactory

# Debian's browser (apt package `chromium`): Playwright's own browser download is not used.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 800}
# The admin's header colour (--header-bg in admin/css/base.css): only its stylesheet sets it.
ADMIN_HEADER_BACKGROUND = "rgb(65, 118, 144)"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)"
)


def decoded_png_size(png: bytes) -> tuple[int, int]:
    """Width and height of an 8-bit, non-interlaced PNG, after checking that every chunk's
    checksum holds and that its pixel data inflates to exactly the rows the header promises."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        (checksum,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == checksum, f"corrupt {kind!r} chunk"
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"]
    )
    assert (bit_depth, interlace) == (8, 0)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    # Each row is its filter-type byte followed by its pixels.
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + width * channels)
    return width, height


@pytest.mark.django_db(transaction=True)
def test_staff_sign_in_and_see_the_styled_task_list_in_chromium(live_server, tmp_path: Path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    TaskFactory(user=staff, title="Water the plants")
    TaskFactory(title="Buy milk", completed=True)
    screenshot = tmp_path / "task-list.png"

    # No database access below: Playwright's sync API runs an event loop in this thread,
    # where Django refuses synchronous queries. The live server answers from its own thread.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{live_server.url}/admin/tasks/task/")
            page.fill("#id_username", staff.email)
            page.fill("#id_password", "correct-horse-battery")
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/tasks/task/")
            rows = page.locator("#result_list tbody tr").all_inner_texts()
            header_background = page.eval_on_selector(
                "#header", "header => getComputedStyle(header).backgroundColor"
            )
            page.screenshot(path=screenshot)
        finally:
            browser.close()

    assert len(rows) == 2
    assert "Water the plants" in rows[1]
    assert staff.email in rows[1]
    assert "Buy milk" in rows[0]
    assert header_background == ADMIN_HEADER_BACKGROUND
    assert decoded_png_size(screenshot.read_bytes()) == (VIEWPORT["width"], VIEWPORT["height"])
    assert screenshot.stat().st_size > 10_000
