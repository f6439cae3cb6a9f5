"""Refused input, one type for every channel: a stable reason code, the offending field and a
detail for people. Ingest items (HTTP, MQTT, CSV) and source feeds (connectors) both refuse with
a `Refusal`; dead letters, API answers and metrics carry its reason code."""

from __future__ import annotations


class Reason:
    """Reason codes of refused input; stable strings used in API answers, dead letters and metrics."""

    # an input item (ingest)
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    UNEXPECTED_FIELD = "unexpected_field"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_SENSOR = "unknown_sensor"
    UNKNOWN_METRIC = "unknown_metric"
    BAD_TIMESTAMP = "bad_timestamp"
    AMBIGUOUS_LOCAL_TIME = "ambiguous_local_time"  # a naive local time in a DST fold or gap
    INTERVAL_MISMATCH = "interval_mismatch"
    INTERVAL_MISALIGNED = "interval_misaligned"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE_COUNT = "negative_count"
    IMPLAUSIBLE_VALUE = "implausible_value"  # out of range: usually wrong units
    IN_FUTURE = "timestamp_in_future"
    TOO_LATE = "too_late"
    BAD_JSON = "bad_json"
    PERSONAL_DATA = "personal_data"
    SENSOR_NOT_AUTHORISED = "sensor_not_authorised"
    TOO_LARGE = "payload_too_large"
    BAD_CSV = "bad_csv"
    TOO_DEEP = "too_deep"
    TOO_MANY_ITEMS = "too_many_items"
    NOT_A_BATCH = "not_a_batch"
    SENSOR_MISMATCH = "sensor_mismatch"
    MALFORMED = "malformed_item"  # anything else that made an item unreadable
    UNEXPECTED_COLUMN = "unexpected_column"
    SUMMARISED = "refusals_summarised"  # one letter counting a batch's refusals past the kept ones
    STORE_REFUSED = "store_refused"  # the store itself would not take this message
    # a whole feed (sources)
    BAD_FORMAT = "bad_format"  # not JSON / XML / protobuf / CSV / ICS at all
    BAD_VALUE = "bad_value"  # wrong type, unparseable number or time
    UNKNOWN_REFERENCE = "unknown_reference"  # a zone or sensor the site does not know
    EMPTY = "empty_feed"
    IMPLAUSIBLE = IMPLAUSIBLE_VALUE


class Refusal(Exception):
    """Input refused with a reason code, the field at fault (None: the whole input) and a detail."""

    def __init__(self, reason: str, field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail
