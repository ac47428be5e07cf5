"""The API's JSON renderer: DRF's, passing through JSON that is already written."""

from typing import Any

from rest_framework import renderers


class RenderedJSON(str):
    """A JSON document written elsewhere (by the database), to be sent as it is."""

    __slots__ = ()


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, RenderedJSON):
            return data.encode()
        return super().render(data, accepted_media_type, renderer_context)
