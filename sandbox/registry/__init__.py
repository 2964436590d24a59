"""The stand-in registries' data: the fixture format, loading, seeding and a digest of the contents."""
