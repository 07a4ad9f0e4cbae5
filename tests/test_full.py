"""The book's configurations, 3 seeds each, checked against their committed records: ``pytest -m full``, in
seconds, and part of ``make test``.

Nothing here trains. Each check reads results/<experiment>/<variant>/seed<k>.json of seeds 0, 1,
2 (``book_run``; made by ``python -m repro.run NAME --variant V --seed 0 1 2`` and ``python -m
repro.report --record``), and a failure's one line names the record it read; a missing record
fails with the commands that make it. Each (experiment, variant) in an EXPECTED is held to
EXPECTED[variant]: the mean of the per-seed peaks (or, where the book reports the best of three,
the best: Ch.1's by test, the only split network.py evaluates; Ch.6's the test accuracy of the
run of best validation) within ``within`` points of the book, and every seed inside
``seed_band`` (the only check for an exercise the book gives no number for). A rung with no band
yet (Ch.6's 250,000-image rungs before their records) is skipped, saying "not yet run". The
bands' provenance is written beside them in the experiment files. The tests after that check the
book's qualitative claims on the same records.
"""

import statistics

import pytest

from experiments import (chap3_l1, chap3_multiple_eta, chap3_weight_init, chap5_vanishing_gradient,
                         rnn_sequential_mnist, seeds_what_it_learned)
from repro.results import RESULTS, chosen_on_validation, read_record_file, record_path, shown
from repro.runs import is_book_configuration, load_experiment
from tests.conftest import SEEDS
from tests.test_experiments import WITH_EXPECTED

pytestmark = pytest.mark.full


def at(name, variant, seed):
    """Return where the record of (name, variant, seed) is, as a failure names it."""
    return str(shown(record_path(name, variant, seed)))


def held_to_the_book(name, variant):
    """Return the (name, variant) case; one whose EXPECTED says our seeds do not reproduce the book, a strict xfail."""
    unreproduced = load_experiment(name).EXPECTED[variant].unreproduced
    return pytest.param(name, variant, marks=pytest.mark.xfail(strict=True, reason=unreproduced) if unreproduced else ())


@pytest.mark.parametrize("name, variant", [held_to_the_book(name, variant) for name, variant in WITH_EXPECTED])
def test_book_configuration_over_three_seeds(name, variant, book_run):
    expected = load_experiment(name).EXPECTED[variant]
    if not expected.has_band:
        pytest.skip(f"{name} {variant}: {expected.why}")
    runs = [book_run(name, variant, seed) for seed in SEEDS]
    failures = expected.band_failures(runs, where=lambda seed: at(name, variant, seed))
    assert not failures, f"{shown(record_path(name, variant, 0).parent)}/: {'; '.join(failures)}"


RECORDS = sorted(path for path in RESULTS.glob("*/*/seed*.json"))


@pytest.mark.parametrize("path", RECORDS, ids=lambda path: str(path.relative_to(RESULTS)))
def test_every_record_is_a_finished_run_of_its_book_configuration(path):
    """What --record admits, checked again on what is committed: a record edited or copied by hand, or one whose
    variant's book configuration has changed since, fails here, naming the file."""
    record, (name, variant), seed = read_record_file(path), path.parts[-3:-1], int(path.stem.removeprefix("seed"))
    assert (record["experiment"], record["variant"], record["seed"]) == (name, variant, seed), \
        f"{shown(path)}: holds {record['experiment']} {record['variant']} seed {record['seed']}"
    assert record["status"] == "finished", f"{shown(path)}: {record['status']}, not finished"
    book = load_experiment(name).VARIANTS[variant]
    assert is_book_configuration(record["config"], book), f"{shown(path)}: not {name} {variant}'s book configuration"


def test_chap3_overfitting_test_cost_bottoms_out_early(book_run):
    """Ch.3: "the cost on the test data improves until around epoch 15" (JSON: minimum at epoch 14). Ours, seeds
    0-2: epochs 15, 16, 18. Tolerance: epochs 10-22, the book's and ours with 4 to spare (was: before epoch 40)."""
    for seed in SEEDS:
        epoch = book_run("chap3_overfitting", "default", seed)["test_cost_minimum"]["epoch"]
        assert 10 <= epoch <= 22, f"{at('chap3_overfitting', 'default', seed)}: test cost lowest at epoch {epoch}"


def test_chap3_overfitting_training_accuracy_reaches_100_percent(book_run):
    """Ch.3, 1,000 images: the training accuracy "rises all the way up to 100 percent" (JSON: first at epoch 67, and
    it stays there). Ours, seeds 0-2: first at epochs 86, 55, 46, never below 99.9 after. Tolerance: first within a
    factor 2 of the book's epoch (34-134), and at 100% at the last epoch."""
    for seed in SEEDS:
        training = [row["accuracy/train"] for row in book_run("chap3_overfitting", "default", seed)["epochs"]]
        first = training.index(100.0) if 100.0 in training else None
        assert first is not None and 67 / 2 <= first <= 67 * 2 and training[-1] == 100.0, \
            f"{at('chap3_overfitting', 'default', seed)}: 100% first at epoch {first}, {training[-1]} at the last"


def test_chap3_all_50000_images_shrink_the_gap_between_training_and_test(book_run):
    """Ch.3: "the best classification accuracy of 97.86 percent on the training data is only 2.53 percent higher than
    the 95.33 percent on the test data. That's compared to the 17.73 percent gap we had earlier!" (1,000 images:
    100% against 82.27%). Ours, seeds 0-2: training peaks 97.96, 98.06, 97.92; gaps 2.42, 2.50, 2.61 against
    16.60, 17.12, 16.41 on 1,000 images (6.3-7.1× smaller; the book's 7.0×). Tolerance: the training peak within
    0.5 pp of 97.86, the gap within 0.5 pp of 2.53 and at least 5× smaller than the same seed's 1,000-image gap."""
    for seed in SEEDS:
        full, small = (book_run("chap3_overfitting", variant, seed) for variant in ("full", "default"))
        training = max(row["accuracy/train"] for row in full["epochs"])
        gap = training - full["peak"]["accuracy"]
        small_gap = max(row["accuracy/train"] for row in small["epochs"]) - small["peak"]["accuracy"]
        assert abs(training - 97.86) <= 0.5 and abs(gap - 2.53) <= 0.5 and 5 * gap <= small_gap, \
            f"{at('chap3_overfitting', 'full', seed)}: training {training:.2f}, gap {gap:.2f} (1,000 images: {small_gap:.2f})"


def century_means(results):
    """Return the mean test accuracy of epochs 0-99, 100-199, … of a 400-epoch run."""
    accuracies = [row["accuracy/test"] for row in results["epochs"]]
    return [statistics.fmean(accuracies[start:start + 100]) for start in range(0, len(accuracies), 100)]


def test_chap3_regularized_test_accuracy_increases_for_all_400_epochs(book_run):
    """Ch.3, 1,000 images: with λ = 0.1 "the accuracy on the test_data continues to increase for the entire 400
    epochs", where without it "at around epoch 280 the classification accuracy pretty much stops improving". The
    book's JSON: 85.58, 86.45, 87.10 at epochs 199, 280, 383. Ours, seeds 0-2, mean test accuracy by hundred epochs:
    up 3.4-3.8, 1.2-1.4, then 0.60-0.72 pp in the last hundred with λ = 0.1; without, 0.00-0.13 in the last hundred.
    Tolerance: every hundred ahead of the one before, the last by ≥ 0.3 pp; without λ, the last by < 0.3 pp."""
    for seed in SEEDS:
        regularized = century_means(book_run("chap3_regularization", "default", seed))
        gains = [later - earlier for earlier, later in zip(regularized, regularized[1:])]
        assert min(gains) > 0 and gains[-1] >= 0.3, f"{at('chap3_regularization', 'default', seed)}: {regularized}"
        unregularized = century_means(book_run("chap3_overfitting", "default", seed))
        assert unregularized[-1] - unregularized[-2] < 0.3, f"{at('chap3_overfitting', 'default', seed)}: {unregularized}"


def test_chap3_regularization_beats_the_unregularized_run_of_the_same_seed(book_run):
    for seed in SEEDS:
        regularized = book_run("chap3_regularization", "default", seed)["peak"]["accuracy"]
        unregularized = book_run("chap3_overfitting", "default", seed)["peak"]["accuracy"]
        assert regularized > unregularized, (f"{at('chap3_regularization', 'default', seed)}: {regularized} against "
                                             f"{at('chap3_overfitting', 'default', seed)}: {unregularized}")


@pytest.mark.parametrize("variant", ["default", "hidden100"])
def test_chap3_new_initialisation_is_ahead_after_the_first_epoch(variant, book_run):
    """Ch.3: "under 87 percent" (old) against "almost 93 percent" (new) after epoch 0, for every seed."""
    margin = chap3_weight_init.FIRST_EPOCH_MARGIN if variant == "default" else 0.0  # book, 100 hidden: 92.95 vs 89.94
    for seed in SEEDS:
        results = book_run("chap3_weight_init", variant, seed)
        new, old = results["epochs"][0], results["large_init"]["epochs"][0]
        assert new["accuracy/validation"] - old["accuracy/validation"] >= margin, \
            f"{at('chap3_weight_init', variant, seed)}: epoch 0 {new['accuracy/validation']} against {old['accuracy/validation']}"


def test_chap3_with_100_neurons_the_two_initialisations_do_not_quite_meet(book_run):
    """Ch.3, [784, 100, 10]: "In this case, the two curves don't quite meet" after 30 epochs (the book's JSON: 97.81
    against 97.42, 0.39 pp apart at the last epoch). Ours, seeds 0-2: 0.36, 0.23, 0.25 pp apart (97.85, 97.61,
    97.71 against 97.49, 97.38, 97.46). Tolerance: the new initialisation ahead by 0.1-1.0 pp, seed for seed."""
    for seed in SEEDS:
        results = book_run("chap3_weight_init", "hidden100", seed)
        new, old = results["epochs"][-1], results["large_init"]["epochs"][-1]
        assert 0.1 <= new["accuracy/validation"] - old["accuracy/validation"] <= 1.0, \
            f"{at('chap3_weight_init', 'hidden100', seed)}: {new['accuracy/validation']} against {old['accuracy/validation']}"


@pytest.mark.parametrize("variant", ["speed2", "speed3", "speed4"])
def test_chap5_deeper_layers_learn_faster_at_initialisation(variant, book_run):
    """Ch.5: ‖δ¹‖ < ‖δ²‖ < … for every seed; mean per-layer speeds within SPEEDS_WITHIN of the book's (was 2×)."""
    speeds = [book_run("chap5_vanishing_gradient", variant, seed)["speeds_at_initialisation"] for seed in SEEDS]
    for seed, per_layer in zip(SEEDS, speeds):
        assert per_layer == sorted(per_layer), f"{at('chap5_vanishing_gradient', variant, seed)}: {per_layer}"
    means = [statistics.fmean(layer) for layer in zip(*speeds)]
    within = chap5_vanishing_gradient.SPEEDS_WITHIN
    for ours, book in zip(means, chap5_vanishing_gradient.BOOK_SPEEDS[variant]):
        assert book / within <= ours <= book * within, f"results/chap5_vanishing_gradient/{variant}/: means {means}"


def test_chap5_first_hidden_layer_learns_about_100_times_slower_than_the_fourth(book_run):
    """Ch.5: "roughly 100 times slower" (JSON: 95.8 at epoch 0). Ours, seeds 0-2: 118, 125, 135 (mean 126); held to
    within a factor 2 of 100, [50, 200] (was [30, 300])."""
    ratios = [speeds[-1] / speeds[0] for speeds in
              (book_run("chap5_vanishing_gradient", "speed4", seed)["speeds_at_initialisation"] for seed in SEEDS)]
    assert 50 <= statistics.fmean(ratios) <= 200, f"results/chap5_vanishing_gradient/speed4/: ratios {ratios}"


def test_chap5_speeds_drop_quickly_then_rebound_with_the_first_layer_slower_throughout(book_run):
    """Ch.5 (500 epochs of full-batch descent on 1,000 images, two hidden layers): "The speed in both layers then
    drops very quickly, before rebounding. But through it all, the first hidden layer learns much more slowly than
    the second hidden layer." The book's JSON (BOOK.md 5.8): ×26 and ×29 slower by epoch 20; lowest at epochs 39 and
    53; ×3.6 and ×7.2 up again by epoch 499; layer 1 below layer 2 at every epoch. Ours, seeds 0-2: ×13-18 and
    ×17-23 by epoch 20; lowest at 42-43 and 50-61; up ×4.7-5.6 and ×3.7-6.9 by the end; below at every epoch.
    Tolerances: ≥ ×10 by epoch 20, the lowest within 15 epochs of the book's, up ≥ ×2 by the end."""
    for seed in SEEDS:
        epochs, where = book_run("chap5_vanishing_gradient", "speed2", seed)["epochs"], at("chap5_vanishing_gradient",
                                                                                         "speed2", seed)
        layers = [[row[f"speed/layer{l}"] for row in epochs] for l in (1, 2)]
        for speeds, book_lowest in zip(layers, (39, 53)):
            lowest = speeds.index(min(speeds))
            assert speeds[20] * 10 <= speeds[0], f"{where}: {speeds[0]} -> {speeds[20]}"  # drops very quickly
            assert abs(lowest - book_lowest) <= 15, f"{where}: lowest at epoch {lowest}"
            assert speeds[-1] >= 2 * speeds[lowest], f"{where}: {speeds[lowest]} -> {speeds[-1]}"  # before rebounding
        assert all(first < second for first, second in zip(*layers)), where  # through it all


def test_chap6_the_fully_connected_layer_helps(book_run):
    """Ch.6 exercise: "Does the inclusion of the fully-connected layer help?" Yes, seed for seed.

    """
    for seed in SEEDS:
        with_fc, without = (book_run("chap6_conv", variant, seed)["peak"]["accuracy"] for variant in ("conv1", "omit_fc"))
        assert with_fc > without, f"{at('chap6_conv', 'conv1', seed)}: {with_fc} against omit_fc's {without}"


def test_chap6_tanh_trains_a_little_faster_and_ends_alike(book_run):
    """Ch.6 problem: "the tanh networks train a little faster, but the final accuracies are very similar".

    Faster: after the first epoch, tanh's validation accuracy is ahead of the sigmoid net's (conv2),
    seed for seed. Alike: the best of three, each chosen on validation as Ch.6 reports, within 0.3 pp.
    """
    tanh = [book_run("chap6_conv", "tanh", seed) for seed in SEEDS]
    sigmoid = [book_run("chap6_conv", "conv2", seed) for seed in SEEDS]
    for seed, ours, reference in zip(SEEDS, tanh, sigmoid):
        first, first_sigmoid = ours["epochs"][0]["accuracy/validation"], reference["epochs"][0]["accuracy/validation"]
        assert first > first_sigmoid, f"{at('chap6_conv', 'tanh', seed)}: epoch 0 {first} against conv2's {first_sigmoid}"
    best = [chosen_on_validation(runs)["peak"]["accuracy"] for runs in (tanh, sigmoid)]
    assert abs(best[0] - best[1]) <= 0.3, f"results/chap6_conv/tanh/: {best[0]} against conv2's {best[1]}"


def test_chap1_the_best_run_has_about_9129_right_after_one_epoch(book_run):
    """Ch.1: "after just a single epoch this has reached 9,129 out of 10,000", in the run that peaks at 95.42%, the
    best of three ("To generate results in this chapter I've taken best-of-three runs"). Ours, the best of seeds
    0-2 by peak (seed 2): 9,074. Over seeds 0-9 (python -m repro.run chap1_network --epochs 1 --seed 0 … 9) the
    seven that learn have 9,027-9,101 after epoch 0 and three are stuck at 8,206-8,273 (the quadratic cost's
    slowdown): the book's 9,129 lies 28 above our best seed. Tolerance: within 100 (1 pp) of the book."""
    runs = [book_run("chap1_network", "default", seed) for seed in SEEDS]
    best = max(runs, key=lambda results: results["peak"]["accuracy"])
    assert abs(best["epochs"][0]["correct/test"] - 9129) <= 100, \
        f"{at('chap1_network', 'default', best['seed'])}: {best['epochs'][0]['correct/test']} after epoch 0"


def test_chap1_a_few_runs_in_64_get_stuck_which_is_why_the_book_takes_the_best_of_three(book_run):
    """Ch.1: "To generate results in this chapter I've taken best-of-three runs." Over seeds 0-63 (the README's
    command, 13 minutes on one core) a few runs stay stuck, well below the book, with a digit (almost) never
    predicted after the quadratic cost's slowdown (Ch.3); the rest learn. So the best of each triple 3k..3k+2
    lies within EXPECTED's 0.6 pp of the book's 95.42, and a single run need not. Our records: 5 of 64 stuck."""
    runs = {seed: book_run("chap1_network", "default", seed) for seed in range(64)}
    stuck = [seed for seed, results in runs.items() if results["peak"]["accuracy"] < 90.0]
    assert 0 < len(stuck) <= 6, f"results/chap1_network/default/: seeds {stuck} peak below 90"  # 10% at most
    for seed in stuck:
        assert min(epoch["digits/test"] for epoch in runs[seed]["epochs"]) < 10, at("chap1_network", "default", seed)
    for k in range(21):
        best = max(runs[3 * k + i]["peak"]["accuracy"] for i in range(3))
        assert abs(best - 95.42) <= 0.6, f"results/chap1_network/default/ seeds {3 * k}-{3 * k + 2}: best {best}"


def test_chap1_a_larger_learning_rate_learns_better(book_run):
    """Ch.1: from η = 0.001, "increasing the learning rate, say to η = 0.01 ... we get better results", and on to
    η = 1.0: each step of the walk ends higher than the last, seed for seed ([784, 100, 10], 30 epochs)."""
    for seed in SEEDS:
        results = book_run("chap1_learning_rates", "walk", seed)
        peaks = [results[f"eta{eta:g}"]["peak"]["accuracy"] for eta in (0.001, 0.01, 1.0)]
        assert peaks == sorted(peaks) and len(set(peaks)) == 3, f"{at('chap1_learning_rates', 'walk', seed)}: {peaks}"


def test_chap3_dropout_helps_the_1000_image_run(book_run):
    """Ch.3 "Dropout" on the overfitting run: ahead of the same net without it, seed for seed.

    Ours, seeds 0-2: 85.38-85.84 against 82.88-83.59, ahead by 1.8-3.0 pp.
    """
    for seed in SEEDS:
        results = book_run("chap3_dropout", "small", seed)
        assert results["peak"]["accuracy"] > results["no_dropout"]["peak"]["accuracy"] + 1.0, \
            f"{at('chap3_dropout', 'small', seed)}: {results['peak']['accuracy']} against {results['no_dropout']['peak']}"


def test_chap3_the_walk_through_goes_as_the_book_says(book_run):
    """Ch.3 broad strategy: stuck at chance (one digit predicted), then λ = 20 learns "a little" and η = 1 more;
    η = 100 is stuck again. Their records, seeds 0-2: λ = 20 peaks at 43-49 of 100, η = 1 at 73-75, η = 100 at 10."""
    for seed in SEEDS:
        for variant in ("default", "eta100"):
            digits = {row["digits/validation"] for row in book_run("chap3_broad_strategy", variant, seed)["epochs"]}
            assert digits == {1}, f"{at('chap3_broad_strategy', variant, seed)}: predicts {digits} digits"
        a_little, more = (book_run("chap3_broad_strategy", variant, seed)["peak"]["accuracy"] for variant in
                          ("lmbda20", "eta1"))
        assert 20 < a_little < more, f"{at('chap3_broad_strategy', 'lmbda20', seed)}: {a_little} (η = 1: {more})"


def test_chap3_tanh_gives_a_small_or_no_improvement(book_run):
    """Ch.3: tanh "only a small or no improvement in performance over sigmoid neurons": within 1 pp of the
    sigmoid net of the same seed, and never more than 0.3 pp ahead. Ours, seeds 0-2: behind by 0.18-0.83 pp."""
    for seed in SEEDS:
        results = book_run("chap3_tanh", "default", seed)
        difference = results["peak"]["accuracy"] - results["sigmoid"]["peak"]["accuracy"]
        assert -1.0 < difference < 0.3, f"{at('chap3_tanh', 'default', seed)}: {difference:+.2f} pp on sigmoid"


def test_chap3_dropout_overfits_less_on_50000_images(book_run):
    """[784, 100, 10]: with dropout the net fits its training images less closely (ours: 97.8% right after 30 epochs,
    against 99.9% without), while its test accuracy stays within 1 pp of the net without (ours: 0.2-0.6 pp behind)."""
    for seed in SEEDS:
        results, where = book_run("chap3_dropout", "default", seed), at("chap3_dropout", "default", seed)
        without = results["no_dropout"]
        assert results["epochs"][-1]["accuracy/train"] < without["epochs"][-1]["accuracy/train"] - 1.0, where
        assert abs(results["peak"]["accuracy"] - without["peak"]["accuracy"]) < 1.0, where


def test_chap3_early_stopping_saves_epochs_and_halving_eta_gains(book_run):
    """Ch.3's rules on [784, 30, 10], λ = 5: no-improvement-in-10 stops well before its 300-epoch cap with the fixed
    30 epochs' accuracy (ours: at 29-51, within 0.16 pp); halving η to 1/128 ends ahead of both (ours: +0.58-0.95 pp)."""
    for seed in SEEDS:
        results, where = book_run("chap3_early_stopping", "default", seed), at("chap3_early_stopping", "default", seed)
        fixed, early = (results[name]["peak"]["accuracy"] for name in ("fixed", "early_stopping"))
        assert results["epochs_used"]["early stopping"] < 100 and abs(early - fixed) < 0.5, where
        assert results["peak"]["accuracy"] > max(fixed, early) + 0.3, where
        assert results["epochs"][-1]["eta"] == 0.5 / 64, where  # stopped at the no-improvement that would reach η/128


def test_chap3_l1_answers_the_books_problem(book_run):
    """Ch.3 problem: L1 with λ = 3, chosen on other seeds' validation accuracy (the next test), beats the
    unregularized net on seeds 0-2, seed for seed (ours: by 0.28-0.47 pp), and leaves many more input weights near
    zero (ours: 41-42% against 0.6%)."""
    for seed in SEEDS:
        results, where = book_run("chap3_l1", "default", seed), at("chap3_l1", "default", seed)
        assert results["peak"]["accuracy"] > results["unregularized"]["peak"]["accuracy"], where
        near_zero = results["near_zero"]
        assert near_zero["L1, λ = 3"] > 10 * near_zero["λ = 0"], f"{where}: {near_zero}"


def test_chap3_l1_lambda_is_chosen_on_seeds_the_check_does_not_train(book_run):
    """L1's λ is the sweep's best mean validation accuracy over seeds 3-5 (python -m repro.run chap3_l1 --variant
    sweep --seed 3 4 5), not seeds 0-2 that confirm it above; seeds 0-2 had chosen 3 too."""
    runs = [book_run("chap3_l1", "sweep", seed) for seed in chap3_l1.CHOOSING_SEEDS]
    mean_peaks = {float(lmbda): statistics.fmean(run["peak_by_lmbda"][lmbda] for run in runs)
                  for lmbda in runs[0]["peak_by_lmbda"]}
    assert max(mean_peaks, key=mean_peaks.get) == chap3_l1.CONFIG.lmbda, f"results/chap3_l1/sweep/: {mean_peaks}"


def test_chap3_three_learning_rates_as_the_book_describes(book_run):
    """Ch.3: η = 0.025 "decreases smoothly until the final epoch"; η = 0.25 "after about 20 epochs it is near
    saturation"; η = 2.5 "makes large oscillations right from the start". Final costs near the book's JSON."""
    for seed in SEEDS:
        costs, where = book_run("chap3_multiple_eta", "default", seed)["training_cost"], at("chap3_multiple_eta",
                                                                                           "default", seed)
        slow, middle, fast = costs["0.025"], costs["0.25"], costs["2.5"]
        rises = [sum(later > earlier for earlier, later in zip(c, c[1:])) for c in (slow, fast[:10])]
        assert rises[0] <= 1 and slow[-1] == min(slow), f"{where}: η = 0.025"  # smooth, still falling at the end
        assert max(middle[20:]) - min(middle[20:]) < 0.05 < middle[0] - min(middle), f"{where}: η = 0.25"  # flat
        assert rises[1] >= 2 and min(fast) > max(middle[5:]), f"{where}: η = 2.5"  # oscillates, never that low
        for eta, ours in (("0.025", slow), ("0.25", middle)):
            book = chap3_multiple_eta.BOOK_COSTS[float(eta)][-1]
            assert abs(ours[-1] - book) < chap3_multiple_eta.BOOK_FINAL_WITHIN, f"{where}: η = {eta} ends {ours[-1]}"


def test_chap3_momentum_speeds_up_learning(book_run):
    """Ch.3: momentum "can speed up learning": at η = 0.1, μ = 0.8 is ahead of plain SGD after the first epoch, seed
    for seed (ours: 94.15-94.72 against 92.81-93.03), and the best μ on validation is not 0.9 (steps up to 10η)."""
    for seed in SEEDS:
        results = book_run("chap3_momentum", "default", seed)
        first_epoch = {name: results[name]["epochs"][0]["accuracy/validation"] for name in ("mu0", "mu0.8")}
        where = at("chap3_momentum", "default", seed)
        assert first_epoch["mu0.8"] > first_epoch["mu0"] + 0.5, f"{where}: epoch 0 {first_epoch}"
        assert results["best_momentum"] < 0.9, f"{where}: best μ {results['best_momentum']}"


def test_seeds_the_videos_network_answers_noise_confidently(book_run):
    """The videos: a network shown only digits answers random noise as confidently as a digit. Every seed's strongest
    output on noise averages ≥ NOISE_MEAN_FLOOR, and one digit is its answer for ≥ NOISE_ANSWER_FLOOR of the noise
    (margins from seeds 0-5: 0.40-0.89 and 63-96%; seeds_what_it_learned.py)."""
    for seed in SEEDS:
        noise = book_run("seeds_what_it_learned", "default", seed)["confidence"]["noise"]
        where = at("seeds_what_it_learned", "default", seed)
        assert noise["mean_strongest_output"] >= seeds_what_it_learned.NOISE_MEAN_FLOOR, f"{where}: {noise}"
        assert noise["share_of_commonest_answer"] >= seeds_what_it_learned.NOISE_ANSWER_FLOOR, f"{where}: {noise}"


def test_seeds_shuffled_labels_are_memorised_slowly_and_generalise_at_chance(book_run):
    """Zhang et al., as the videos tell it: on shuffled labels the training cost falls far slower (ours, seeds 0-2:
    8.0-9.2× the true labels' after 10 epochs, 80-102× after 50), the network still learns its 1,000 training images
    (best 99.2-99.6%), and on test images it is right only by chance: the shuffled labels' own agreement with the
    true ones (8.4%; ours over the last 50 epochs 7.68-8.45%). Margins: half the ratios, 2 points."""
    for seed in SEEDS:
        results, where = book_run("seeds_random_labels", "default", seed), at("seeds_random_labels", "default", seed)
        costs = results["training_cost_after"]
        assert costs["shuffled labels"]["10"] >= 4 * costs["true labels"]["10"], f"{where}: {costs}"
        assert costs["shuffled labels"]["50"] >= 40 * costs["true labels"]["50"], f"{where}: {costs}"
        assert results["best_training_accuracy"]["shuffled labels"] >= 97.0, where
        late = statistics.fmean(row["accuracy/test"] for row in results["epochs"][-50:])
        assert abs(late - results["chance"]) <= 2.0, f"{where}: {late:.2f} against chance {results['chance']}"


def test_rnn_sequential_mnist_lstm_is_more_accurate_than_the_rnn(book_run):
    """Same width, optimiser and budget: the LSTM ahead by LSTM_AHEAD points, seed for seed (ours 2.64-3.55)."""
    for seed in SEEDS:
        rnn, lstm = (book_run("rnn_sequential_mnist", cell, seed)["peak"]["accuracy"] for cell in ("rnn", "lstm"))
        assert lstm - rnn >= rnn_sequential_mnist.LSTM_AHEAD, f"{at('rnn_sequential_mnist', 'lstm', seed)}: {lstm} (rnn {rnn})"


def test_rnn_sequential_mnist_lstm_keeps_more_gradient_at_initialisation(book_run):
    """‖∂C/∂h_1‖ / ‖∂C/∂h_28‖ at initialisation: the LSTM's above the RNN's, seed for seed (ours 1.6-21×, b_f = 1).

    Not an order of magnitude on every seed at b_f = 1; tests/test_recurrent.py shows 10× from b_f = 2.
    """
    for seed in SEEDS:
        rnn, lstm = (book_run("rnn_sequential_mnist", cell, seed)["first_over_last_initialisation"]
                     for cell in ("rnn", "lstm"))
        assert lstm > rnn, f"{at('rnn_sequential_mnist', 'lstm', seed)}: {lstm} (rnn {rnn})"


def test_rnn_sequential_mnist_lstm_with_forget_bias_2_keeps_10_times_more_gradient(book_run):
    """The issue's claim, an order of magnitude at initialisation, holds for the LSTM whose forget gate starts at
    b_f = 2 (ours, seeds 0-2: 36, 128, 418×), which trains as well (97.45-97.98%); b_f = 1 gives 1.6-21×."""
    for seed in SEEDS:
        rnn, lstm = (book_run("rnn_sequential_mnist", variant, seed)["first_over_last_initialisation"]
                     for variant in ("rnn", "lstm_forget2"))
        assert lstm >= 10 * rnn, f"{at('rnn_sequential_mnist', 'lstm_forget2', seed)}: {lstm} (rnn {rnn})"
