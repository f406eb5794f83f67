"""Generated files behind one interface: a local folder, or the database every server reads."""

import pytest

from navigator import storage


@pytest.fixture(params=["local", "database"])
def store(request, app_factory) -> storage.Storage:
    app = app_factory(STORAGE=request.param)
    return app.extensions["navigator.storage"]


def test_a_stored_file_comes_back_whole_in_pieces_and_goes(store, tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "CHUNK", 1000)  # several pieces from a small file
    data = bytes(range(256)) * 20  # 5120 bytes, every byte value
    source = tmp_path / "built.part"
    source.write_bytes(data)
    store.put("export-1.zip", source)
    assert not source.exists()  # handed over, not copied
    assert store.size("export-1.zip") == len(data)
    assert store.read("export-1.zip") == data
    assert len(list(store.chunks("export-1.zip"))) >= 5
    store.delete("export-1.zip")
    assert store.size("export-1.zip") is None
    store.delete("export-1.zip")  # deleting again is no error


@pytest.mark.parametrize("name", ["", "../escape.zip", "a/b.zip", ".hidden"])
def test_names_are_plain_file_names(store, tmp_path, name):
    source = tmp_path / "x"
    source.write_bytes(b"x")
    with pytest.raises(ValueError):
        store.put(name, source)


def test_an_unknown_storage_setting_stops_the_start(app_factory):
    with pytest.raises(SystemExit) as caught:
        app_factory(STORAGE="s3")
    assert "NAVIGATOR_STORAGE" in str(caught.value)
