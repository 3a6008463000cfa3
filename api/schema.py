"""OpenAPI post-processing for the demo routes."""


def strip_optional_slash(result, generator, request, public):
    """Routes accept an optional trailing slash (``^private/?$``); document the bare path."""
    result["paths"] = {path.rstrip("/") if path != "/" else path: item
                       for path, item in result["paths"].items()}
    return result
