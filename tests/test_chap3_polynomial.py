"""Ch.3 "Why does regularization help?" [BOOK.md 3.16]: the degree-9 polynomial through the ten points, the line."""

import torch

from experiments.chap3_polynomial import BOOK_COEFFICIENTS, POINTS, Config, evaluate, polynomial_fit


def test_the_polynomial_passes_through_every_point_and_is_the_books():
    x, y = POINTS.T
    coefficients = polynomial_fit(x, y, 9)
    assert (evaluate(coefficients, x) - y).abs().max() < 1e-8  # exact up to float64's rounding (ours: 3.7e-10)
    for power, book in BOOK_COEFFICIENTS.items():  # the book's JS prints 9 significant digits
        assert abs(coefficients[power].item() - book) <= 5e-9 * abs(book), (power, coefficients[power].item(), book)


def test_the_line_misses_the_points_a_little_and_the_two_models_part_beyond_them():
    x, y = POINTS.T
    cfg = Config()
    assert 0 < (cfg.slope * x - y).abs().max() < 0.5  # every point within half a unit of y = 2x
    coefficients = polynomial_fit(x, y, cfg.degree)
    beyond = evaluate(coefficients, torch.tensor(cfg.new_x, dtype=torch.float64))
    assert ((beyond - cfg.slope * torch.tensor(cfg.new_x)).abs() > 5).all()  # 18.2, 369.3, 2974 against 10, 11, 12


def test_a_lower_degree_is_a_least_squares_fit_not_an_interpolation():
    x, y = POINTS.T
    line = polynomial_fit(x, y, 1)
    assert (evaluate(line, x) - y).abs().max() > 0.1 and abs(line[1].item() - 2.0) < 0.2  # close to the book's y = 2x
