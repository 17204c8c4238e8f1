from tart.protocol import EventNumbering


def test_ids_start_at_zero_and_count_up():
    numbering = EventNumbering()
    assert [numbering.assign() for _ in range(3)] == [0, 1, 2]


def test_dropped_shifts_the_next_id_by_its_count():
    numbering = EventNumbering()
    assert numbering.assign() == 0
    assert numbering.assign(dropped=10) == 1  # Dropped(10) is event 1
    assert numbering.assign() == 11  # the next event is 1 + 10
    assert numbering.assign() == 12


def test_dropped_first_sets_the_starting_id():
    numbering = EventNumbering()
    assert numbering.assign(dropped=500) == 0
    assert numbering.assign() == 500
