"""Customer pages served by the Rasa server: the web chat page, document downloads and the demo checkout."""
