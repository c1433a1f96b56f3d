"""Path converters of the dashboard pages."""


class ExportFormat:
    """The file formats a figure's table is exported in."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
