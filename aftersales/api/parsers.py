"""Request body parsers that refuse a NUL character anywhere in the parsed data (values, keys, nested JSON
and dict fields) with 400 ``nul_character``: PostgreSQL text and jsonb columns cannot store one."""

from rest_framework import exceptions, parsers

from aftersales.api.validation import NUL_CHARACTER, NUL_MESSAGE, contains_nul


class NulCharacter(exceptions.ParseError):
    default_detail = NUL_MESSAGE
    default_code = NUL_CHARACTER


def refuse_nul(data):
    if contains_nul(data):
        raise NulCharacter()
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return refuse_nul(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_nul(dict(data.lists()))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_nul(dict(result.data.lists()))
        refuse_nul([upload.name for upload in result.files.values()])
        return result
