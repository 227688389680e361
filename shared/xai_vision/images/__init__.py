"""Image sources in, :class:`PreparedImage` out: detection, validation, limits and optimisation.

Every source a user has (path, bytes, binary file, ``PIL.Image.Image``, http(s) URL, data URI,
bare base64) becomes one :class:`PreparedImage`. URLs are kept as they are (xAI fetches them);
everything else is inlined as a ``data:`` URI whose MIME type comes from the real bytes, never
from a file name or a claimed type. All checks happen here, before any request is sent.

One module per job: :mod:`.sources` (what the source is, its bytes; data URIs and URL checks),
:mod:`.formats` (magic bytes, MIME types, what passes as is), :mod:`.checks` (open, limits,
animation, orientation, structure), :mod:`.encode` (resize and re-encode), :mod:`.prepare`
(the pipeline joining them), :mod:`.crop` (a region at full resolution, for "look closer")
and :mod:`.options` (:class:`ImageOptions`).
"""

from xai_vision.images.crop import Box, CroppableImage, check_box, crop_image
from xai_vision.images.formats import MIME_TYPES, PASSTHROUGH_FORMATS, detect_image_format
from xai_vision.images.options import ImageOptions
from xai_vision.images.prepare import ImageSource, PreparedImage, prepare_image
from xai_vision.images.sources import (
    base64_data_uri,
    data_uri_label,
    is_data_uri,
    is_http_url,
    parse_data_uri,
    url_scheme,
)

__all__ = [
    "MIME_TYPES",
    "PASSTHROUGH_FORMATS",
    "Box",
    "CroppableImage",
    "ImageOptions",
    "ImageSource",
    "PreparedImage",
    "base64_data_uri",
    "check_box",
    "crop_image",
    "data_uri_label",
    "detect_image_format",
    "is_data_uri",
    "is_http_url",
    "parse_data_uri",
    "prepare_image",
    "url_scheme",
]
