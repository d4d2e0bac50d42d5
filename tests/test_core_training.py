"""bp_core.datasets and bp_core.training: data sets made from a seed, gradient descent that lowers the loss,
divergence caught and reported without NaN, each update's gradient against finite differences, and step
mode's replay equal to the run it replays."""
import numpy as np
import pytest

from bp_core import datasets, training
from bp_core import presets as P

D = P.TRAINING


def default_net(**changes) -> "training.Network":
    options = dict(depth=D["depth"], width=D["width"], hidden=D["hidden"], biases=D["biases"], loss=D["loss"],
                   seed=D["init_seed"])
    options.update(changes)
    return training.initial_network(**options)


# -- data sets ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", datasets.NAMES)
@pytest.mark.parametrize("n", [2, 7, 200, 400])
def test_dataset_shapes_one_hot_and_both_classes(name, n):
    X, Y = datasets.make(name, n, seed=3, noise=0.1)
    assert X.shape == (n, 2) and Y.shape == (n, 2)
    assert np.all(np.isfinite(X))
    assert set(np.unique(Y)) <= {0.0, 1.0} and np.all(Y.sum(axis=1) == 1)
    counts = np.bincount(datasets.classes(Y), minlength=3)[1:]
    assert sorted(counts) == [n // 2, n - n // 2]          # both classes, balanced
    assert not X.flags.writeable and not Y.flags.writeable


@pytest.mark.parametrize("name", datasets.NAMES)
def test_dataset_is_deterministic_per_seed(name):
    X1, Y1 = datasets.make(name, 120, seed=5, noise=0.2)
    X2, Y2 = datasets.make(name, 120, seed=5, noise=0.2)
    X3, _ = datasets.make(name, 120, seed=6, noise=0.2)
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2)
    assert not np.array_equal(X1, X3)


def test_dataset_shapes_without_noise():
    X, Y = datasets.make("xor", 300, seed=1, noise=0.0)
    same_sign = X[:, 0] * X[:, 1] > 0
    assert np.array_equal(same_sign, datasets.classes(Y) == 1)     # class 1: quadrants where signs agree
    X, Y = datasets.make("circles", 300, seed=1, noise=0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    cls = datasets.classes(Y)
    assert np.allclose(radius[cls == 1], 1.0) and np.allclose(radius[cls == 2], 0.45)
    X, Y = datasets.make("moons", 300, seed=1, noise=0.0)
    upper = X[datasets.classes(Y) == 1] + [0.5, 0.25]               # the upper moon: the unit half circle
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and np.all(upper[:, 1] >= -1e-12)


@pytest.mark.parametrize("args", [("spiral", 10, 0), ("xor", 1, 0), ("xor", 10.5, 0), ("xor", 10, -1),
                                  ("xor", 10, 0, -0.1), ("xor", 10, 0, float("nan"))])
def test_dataset_refuses_bad_input(args):
    with pytest.raises(ValueError):
        datasets.make(*args)


# -- the network and the batches ------------------------------------------------------------------------

def test_initial_network_shape_and_seed():
    net = training.initial_network(depth=3, width=5, hidden="relu", biases=True, seed=4)
    assert net.widths == (2, 5, 5, 5, 2) and net.output == "softmax"
    assert all(np.all(b == 0) for b in net.biases)
    again = training.initial_network(depth=3, width=5, hidden="relu", biases=True, seed=4)
    other = training.initial_network(depth=3, width=5, hidden="relu", biases=True, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, again.weights))
    assert not np.array_equal(net.weights[0], other.weights[0])
    assert training.initial_network(biases=False).biases is None


@pytest.mark.parametrize("n, batch", [(200, 20), (200, 30), (7, 200), (5, 1)])
def test_batches_cover_every_point_once(n, batch):
    parts = training.batches(n, batch, seed=2, epoch=3)
    assert len(parts) == -(-n // batch)
    assert all(len(p) == min(batch, n) for p in parts[:-1])
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))
    assert all(np.array_equal(a, b) for a, b in zip(parts, training.batches(n, batch, seed=2, epoch=3)))


# -- training lowers the loss -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", datasets.NAMES)
def test_training_lowers_the_loss_on_each_data_set(name):
    X, Y = datasets.make(name, D["points"], D["seed"], D["noise"])
    run = training.train(default_net(), X, Y, lr=D["lr"], batch=D["batch"], epochs=200, seed=D["init_seed"])
    assert not run.diverged
    assert run.epochs == 200 and len(run.losses) == 201 and run.updates == 200 * 10
    assert run.losses[-1] < 0.25 * run.losses[0]
    assert training.accuracy(run.net, X, Y) > 0.9
    # losses[0] and losses[-1] are the loss of the first and the last network on every point
    assert run.losses[0] == pytest.approx(default_net().loss_value(X, Y))
    assert run.losses[-1] == pytest.approx(run.net.loss_value(X, Y))


def test_full_batch_descent_lowers_the_loss_at_every_epoch():
    """With the whole data set as the batch and a small step, each update goes downhill."""
    X, Y = datasets.make("moons", 100, seed=1, noise=0.1)
    run = training.train(default_net(), X, Y, lr=0.1, batch=100, epochs=50, seed=0)
    assert np.all(np.diff(run.losses) < 0)
    assert np.allclose(run.batch_losses, run.losses[:-1])  # one batch per epoch: the same loss


def test_continuing_a_run_equals_one_longer_run():
    X, Y = datasets.make("xor", 60, seed=2, noise=0.1)
    options = dict(lr=0.5, batch=16, seed=3)
    whole = training.train(default_net(), X, Y, epochs=7, **options)
    part = training.train(training.train(default_net(), X, Y, epochs=3, **options), X, Y, epochs=4, **options)
    assert np.array_equal(whole.losses, part.losses) and np.array_equal(whole.batch_losses, part.batch_losses)
    assert all(np.array_equal(a, b) for a, b in zip(whole.net.weights, part.net.weights))


def test_each_update_is_w_minus_lr_g():
    """One epoch by hand: backprop on each mini-batch, then W* = W - lr dW, b* = b - lr db."""
    X, Y = datasets.make("circles", 50, seed=4, noise=0.05)
    lr, batch, seed = 0.3, 8, 1
    net = default_net()
    for idx in training.batches(len(X), batch, seed, epoch=1):
        trace = net.backprop(X[idx], Y[idx], steps=False)
        net = net.replace(weights=[W - lr * g for W, g in zip(net.weights, trace.dW)],
                          biases=[b - lr * g for b, g in zip(net.biases, trace.db)])
    run = training.train(default_net(), X, Y, lr=lr, batch=batch, epochs=1, seed=seed)
    assert all(np.allclose(a, b, rtol=0, atol=1e-15) for a, b in zip(net.weights, run.net.weights))


# -- divergence --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lr", [100.0, 1e4])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "identity"])
def test_a_huge_learning_rate_is_caught_without_nan(lr, hidden):
    X, Y = datasets.make("xor", 200, seed=0, noise=0.1)
    run = training.train(default_net(hidden=hidden), X, Y, lr=lr, batch=20, epochs=500, seed=0)
    assert run.diverged and run.diverged_epoch == 1 and run.reason in ("growth", "overflow")
    assert run.epochs == 0                                   # stopped inside epoch 1
    assert np.all(np.isfinite(run.losses)) and np.all(np.isfinite(run.batch_losses))
    assert len(run.batch_losses) >= 1
    # what is returned is the last network of a complete epoch: here the starting one
    assert all(np.array_equal(a, b) for a, b in zip(run.net.weights, default_net(hidden=hidden).weights))
    # continuing a diverged run changes nothing
    assert training.train(run, X, Y, lr=lr, batch=20, epochs=5, seed=0) is run


def test_divergence_by_growth_is_past_100_times_the_start():
    X, Y = datasets.make("xor", 200, seed=0, noise=0.1)
    run = training.train(default_net(), X, Y, lr=1e4, batch=20, epochs=10, seed=0)
    assert run.reason == "growth"
    assert run.limit == pytest.approx(100 * run.losses[0])
    assert run.batch_losses[-1] > run.limit and np.all(run.batch_losses[:-1] <= run.limit)


def test_overflow_is_reported_as_divergence():
    """Identity hidden layers and a huge rate: h overflows to inf, the core refuses it, training stops."""
    X, Y = datasets.make("xor", 40, seed=0, noise=0.1)
    net = default_net(hidden="identity", depth=3, width=8)
    updates = training.first_updates(net, X, Y, lr=1e300, batch=40, seed=0, count=5)
    assert updates[-1].diverged == "overflow"
    assert all(u.diverged is None for u in updates[:-1])


def test_a_good_learning_rate_does_not_diverge_in_2000_epochs():
    X, Y = datasets.make("moons", 100, seed=0, noise=0.1)
    run = training.train(default_net(), X, Y, lr=1.0, batch=100, epochs=2000, seed=0)
    assert not run.diverged and run.epochs == 2000


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_learning_rate_is_refused(lr):
    X, Y = datasets.make("xor", 20, seed=0)
    with pytest.raises(ValueError):
        training.train(default_net(), X, Y, lr=lr, batch=5, epochs=1, seed=0)


# -- step mode's updates ------------------------------------------------------------------------------------

def central_differences(loss, arrays, eps=1e-6):
    """dL/da for every entry of every array, by (L(a + eps) - L(a - eps)) / 2 eps."""
    grads = []
    for k, A in enumerate(arrays):
        g = np.zeros_like(A)
        for index in np.ndindex(A.shape):
            moved = [a.copy() for a in arrays]
            moved[k][index] += eps
            up = loss(moved)
            moved[k][index] -= 2 * eps
            g[index] = (up - loss(moved)) / (2 * eps)
        grads.append(g)
    return grads


# ReLU without biases: with biases at 0, a sample whose layer-1 units are all off has h_2 = b_2 = 0 exactly,
# ReLU's kink, where no derivative exists for finite differences to find.
@pytest.mark.parametrize("hidden, loss, biases", [("tanh", "cross_entropy", True), ("sigmoid", "half_sse", True),
                                                  ("relu", "cross_entropy", False)])
def test_each_updates_gradient_equals_finite_differences(hidden, loss, biases):
    X, Y = datasets.make("moons", 30, seed=2, noise=0.1)
    net = default_net(hidden=hidden, loss=loss, width=3, biases=biases)
    updates = training.first_updates(net, X, Y, lr=0.5, batch=4, seed=0, count=3)   # tiny batches of 4
    for u in updates:
        x, y = X[u.indices], Y[u.indices]
        W = [np.array(a) for a in u.before.weights]
        fd = central_differences(lambda Ws: u.before.replace(weights=Ws).loss_value(x, y), W)
        got = list(u.dW)
        if biases:
            b = [np.array(a) for a in u.before.biases]
            fd += central_differences(lambda bs: u.before.replace(biases=bs).loss_value(x, y), b)
            got += list(u.db)
        for got, want in zip(got, fd):
            assert np.allclose(got, want, rtol=1e-5, atol=1e-8)
        assert u.loss == pytest.approx(u.before.loss_value(x, y))
        assert u.loss_after == pytest.approx(u.after.loss_value(x, y))
        assert u.loss_all_after == pytest.approx(u.after.loss_value(X, Y))
        for before, g, after in zip(u.before.weights, u.dW, u.after.weights):
            assert np.array_equal(after, before - 0.5 * g)


def test_step_mode_replays_the_run():
    X, Y = datasets.make("xor", 50, seed=0, noise=0.1)
    options = dict(lr=0.5, batch=20, seed=4)
    updates = training.first_updates(default_net(), X, Y, count=9, **options)   # 3 batches per epoch: 3 epochs
    assert [(u.number, u.epoch, u.batch) for u in updates] == [(n + 1, n // 3 + 1, n % 3 + 1) for n in range(9)]
    assert [len(u.indices) for u in updates[:3]] == [20, 20, 10]
    run = training.train(default_net(), X, Y, epochs=3, **options)
    assert np.allclose(run.batch_losses, [u.loss for u in updates], rtol=0, atol=1e-15)
    assert np.allclose(run.losses[1:], [u.loss_all_after for u in updates[2::3]], rtol=0, atol=1e-15)
    assert all(np.array_equal(a, b) for a, b in zip(run.net.weights, updates[-1].after.weights))
    for previous, now in zip(updates, updates[1:]):
        assert now.before is previous.after and now.loss_all == previous.loss_all_after


def test_step_mode_stops_at_the_update_that_diverges():
    X, Y = datasets.make("xor", 200, seed=0, noise=0.1)
    updates = training.first_updates(default_net(), X, Y, lr=1e4, batch=20, seed=0, count=100)
    assert updates[-1].diverged in ("growth", "overflow")
    assert all(u.diverged is None for u in updates[:-1])
    assert len(updates) < 100


def test_grid_is_the_probability_of_class_1():
    X, Y = datasets.make("circles", 80, seed=0)
    net = default_net()
    grid = training.grid(net, X, n=11)
    assert grid.p1.shape == (11, 11) and np.all((grid.p1 >= 0) & (grid.p1 <= 1))
    r, c = 3, 7
    _, a = net.forward([[grid.xs[c], grid.ys[r]]])
    assert grid.p1[r, c] == pytest.approx(a[-1][0, 0])
    assert grid.xs[0] == pytest.approx(X[:, 0].min() - 0.3) and grid.ys[-1] == pytest.approx(X[:, 1].max() + 0.3)


def test_accuracy_counts_points_on_the_right_side():
    X, Y = datasets.make("xor", 40, seed=0)
    net = default_net()
    _, a = net.forward(X)
    assert training.accuracy(net, X, Y) == pytest.approx(np.mean(a[-1].argmax(1) == Y.argmax(1)))
