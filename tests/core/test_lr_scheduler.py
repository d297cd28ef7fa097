"""ember.optim.lr_scheduler against PyTorch: the lr (and momentum) sequence of every scheduler,
state_dict round trips, errors and warnings."""
import warnings

import numpy as np
import pytest

import ember

S = "optim.lr_scheduler"


def sched(name, *args, **kwargs):
    """A builder `fn(module, optimizer)` for scheduler `name` of either framework."""
    def build(m, opt):
        return getattr(m.optim.lr_scheduler, name)(opt, *args, **kwargs)
    build.__name__ = name
    return build


def sequential(m, opt):
    lrs = m.optim.lr_scheduler
    return lrs.SequentialLR(opt, [lrs.LinearLR(opt, start_factor=0.1, total_iters=5),
                                  lrs.ExponentialLR(opt, gamma=0.9),
                                  lrs.CosineAnnealingLR(opt, T_max=6)], milestones=[5, 15])


def chained(m, opt):
    lrs = m.optim.lr_scheduler
    return lrs.ChainedScheduler([lrs.ConstantLR(opt, factor=0.5, total_iters=4),
                                 lrs.ExponentialLR(opt, gamma=0.95)])


CASES = [
    ("SGD", sched("LambdaLR", lambda epoch: 0.95 ** epoch)),
    ("SGD", sched("LambdaLR", [lambda e: 1 / (e + 1), lambda e: 0.9 ** e])),
    ("SGD", sched("MultiplicativeLR", lambda epoch: 0.9)),
    ("SGD", sched("StepLR", step_size=7, gamma=0.5)),
    ("SGD", sched("MultiStepLR", milestones=[5, 12, 12, 20], gamma=0.5)),
    ("SGD", sched("ConstantLR", factor=0.5, total_iters=8)),
    ("SGD", sched("LinearLR", start_factor=0.2, end_factor=0.9, total_iters=10)),
    ("SGD", sched("ExponentialLR", gamma=0.9)),
    ("SGD", sched("PolynomialLR", total_iters=20, power=2.0)),
    ("SGD", sched("CosineAnnealingLR", T_max=10, eta_min=0.001)),
    ("SGD", sched("CosineAnnealingWarmRestarts", T_0=5, T_mult=2, eta_min=0.01)),
    ("SGD", sched("CosineAnnealingWarmRestarts", T_0=7)),
    ("SGD", sched("OneCycleLR", max_lr=[0.1, 0.2], total_steps=31)),
    ("Adam", sched("OneCycleLR", max_lr=0.1, epochs=4, steps_per_epoch=8,
                   anneal_strategy="linear")),
    ("SGD", sched("OneCycleLR", max_lr=0.1, total_steps=31, three_phase=True, pct_start=0.25)),
    ("SGD", sched("OneCycleLR", max_lr=0.1, total_steps=31, cycle_momentum=False)),
    ("SGD", sched("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6)),
    ("SGD", sched("CyclicLR", base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3,
                  mode="triangular2")),
    ("Adam", sched("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range",
                   gamma=0.9)),
    ("SGD", sched("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5,
                  scale_fn=lambda x: 0.5 ** x, scale_mode="iterations", cycle_momentum=False)),
    ("SGD", sequential),
    ("SGD", chained),
]
IDS = [f"{i}-{fn.__name__}" for i, (_, fn) in enumerate(CASES)]


def make_optimizer(m, name):
    params = [m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    if name == "SGD":
        return m.optim.SGD(groups, lr=0.1, momentum=0.9)
    return m.optim.Adam(groups, lr=0.1)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def run(m, optimizer, build, steps):
    opt = make_optimizer(m, optimizer)
    scheduler = build(m, opt)
    lrs, moms = [scheduler.get_last_lr()], [momenta(opt)]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        moms.append(momenta(opt))
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return lrs, moms, opt, scheduler


@pytest.mark.parity
@pytest.mark.parametrize("optimizer,build", CASES, ids=IDS)
def test_lr_sequence_parity(optimizer, build):
    torch = pytest.importorskip("torch")
    e_lrs, e_moms, _, _ = run(ember, optimizer, build, 30)
    t_lrs, t_moms, _, _ = run(torch, optimizer, build, 30)
    # Same formulas in the same order: the values are identical, not just close.
    assert e_lrs == t_lrs
    assert e_moms == t_moms


@pytest.mark.parity
@pytest.mark.parametrize("optimizer,build", CASES, ids=IDS)
def test_state_dict_round_trip(optimizer, build):
    pytest.importorskip("torch")
    _, _, opt, scheduler = run(ember, optimizer, build, 10)
    saved_opt, saved_sched = opt.state_dict(), scheduler.state_dict()
    expected, _, _, _ = run(ember, optimizer, build, 20)
    opt2 = make_optimizer(ember, optimizer)
    scheduler2 = build(ember, opt2)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved_sched)
    got = []
    for _ in range(10):
        opt2.step()
        scheduler2.step()
        got.append(scheduler2.get_last_lr())
    assert got == expected[11:]


PLATEAU = [dict(), dict(mode="max", factor=0.5, patience=2),
           dict(threshold_mode="abs", threshold=0.05, patience=1, cooldown=2),
           dict(mode="max", threshold_mode="abs", patience=0, min_lr=[0.02, 0.01]),
           dict(patience=1, factor=0.9, eps=0.01)]
METRICS = [1.0, 0.9, 0.95, 0.94, 0.93, 0.93, 0.2, 0.5, 0.6, 0.6, 0.6, 0.1, 0.1, 0.1, 0.7,
           0.7, 0.05, 0.05, 0.06, 0.07, 0.08, 0.09, 1.0, 1.5, 1.5, 1.5, 1.5, 1.4, 1.3, 1.2]


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_parity(kwargs):
    torch = pytest.importorskip("torch")
    seqs = []
    for m in (ember, torch):
        opt = make_optimizer(m, "SGD")
        scheduler = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for metric in METRICS:
            opt.step()
            scheduler.step(metric)
            seq.append((scheduler.get_last_lr(), scheduler.num_bad_epochs,
                        scheduler.cooldown_counter, scheduler.best))
        seqs.append(seq)
    assert seqs[0] == seqs[1]


def test_reduce_lr_on_plateau_state_dict_and_errors():
    opt = make_optimizer(ember, "SGD")
    lrs = ember.optim.lr_scheduler
    scheduler = lrs.ReduceLROnPlateau(opt, patience=0)
    scheduler.step(1.0)
    scheduler.step(2.0)
    state = scheduler.state_dict()
    other = lrs.ReduceLROnPlateau(make_optimizer(ember, "SGD"))
    other.load_state_dict(state)
    assert other.best == 1.0 and other.patience == 0
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lrs.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown"):
        lrs.ReduceLROnPlateau(opt, mode="foo")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        lrs.ReduceLROnPlateau(opt, min_lr=[0.1])


@pytest.mark.parity
@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=3)),
                                         ("MultiStepLR", dict(milestones=[2, 5])),
                                         ("ExponentialLR", dict(gamma=0.8)),
                                         ("CosineAnnealingLR", dict(T_max=8)),
                                         ("LinearLR", dict(total_iters=4)),
                                         ("PolynomialLR", dict(total_iters=6)),
                                         ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))])
def test_step_with_epoch_uses_closed_form(name, kwargs):
    torch = pytest.importorskip("torch")
    seqs = []
    for m in (torch, ember):
        opt = make_optimizer(m, "SGD")
        scheduler = getattr(m.optim.lr_scheduler, name)(opt, **kwargs)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (3, 7, 1, 10, 4.5 if name == "CosineAnnealingWarmRestarts" else 4):
                opt.step()
                scheduler.step(epoch)
                seq.append(scheduler.get_last_lr())
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


def test_resume_with_last_epoch():
    opt = make_optimizer(ember, "SGD")
    lrs = ember.optim.lr_scheduler
    with pytest.raises(KeyError, match="initial_lr"):
        lrs.StepLR(opt, step_size=2, last_epoch=3)
    lrs.StepLR(opt, step_size=2)
    resumed = lrs.StepLR(opt, step_size=2, last_epoch=3)
    assert resumed.last_epoch == 4


def test_warns_when_scheduler_steps_before_optimizer():
    opt = make_optimizer(ember, "SGD")
    scheduler = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    opt = make_optimizer(ember, "SGD")
    scheduler = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        scheduler.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()


def test_scheduler_errors():
    opt = make_optimizer(ember, "SGD")
    lrs = ember.optim.lr_scheduler
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lrs.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lrs.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        lrs.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        lrs.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        lrs.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        lrs.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lrs.OneCycleLR(opt, max_lr=0.1, total_steps=5, anneal_strategy="step")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        lrs.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=5)
    one_cycle = lrs.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    opt.step()
    one_cycle.step()
    one_cycle.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        one_cycle.step()
    with pytest.raises(ValueError, match="mode is invalid"):
        lrs.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    no_momentum = ember.optim.Adagrad([ember.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="must support momentum"):
        lrs.CyclicLR(no_momentum, 0.01, 0.1)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        lrs.SequentialLR(opt, [lrs.ExponentialLR(opt, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lrs.ChainedScheduler([lrs.ReduceLROnPlateau(opt)])
    other = make_optimizer(ember, "SGD")
    with pytest.raises(ValueError, match="same optimizer"):
        lrs.ChainedScheduler([lrs.ExponentialLR(opt, 0.9), lrs.ExponentialLR(other, 0.9)])


def test_lambda_state_dict_saves_callable_objects():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = make_optimizer(ember, "SGD")
    fn = Decay()
    scheduler = ember.optim.lr_scheduler.LambdaLR(opt, [fn, lambda e: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    fn.rate = 0.1
    scheduler.load_state_dict(state)
    assert fn.rate == 0.5
