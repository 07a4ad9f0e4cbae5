"""Ch.6 "Using an ensemble of networks": several nets per seed, each its own run, and their plurality vote."""

from dataclasses import asdict

import torch
import torch.nn.functional as F

from repro.log import RunLog


def member_logs(logs, size, member_cfg):
    """Return the RunLogs of each seed's ``size`` members, seed by seed, each in its run's sub-folder member<k>.

    Member k of seed s trains with seed s·size + k, so ensembles of other seeds share no member.
    """
    return [RunLog(log.experiment, f"{log.variant}_member{k}", log.seed * size + k, asdict(member_cfg),
                   run_dir=log.run_dir / f"member{k}")
            for log in logs for k in range(size)]


def plurality(votes):
    """Return the most voted digit per image from (nets, images) votes; a tie goes to the earliest net's vote.

    The tie rule is that of collections.Counter.most_common, which network3's conv.py uses.
    """
    counts = F.one_hot(votes, 10).sum(0)  # (images, 10)
    most_voted = counts == counts.max(1, keepdim=True).values  # (images, 10)
    by_image = votes.T  # (images, nets)
    earliest = most_voted.gather(1, by_image).int().argmax(1)  # argmax returns the first maximum
    return by_image.gather(1, earliest[:, None]).squeeze(1)


def vote(nets, data, rule, splits=("validation", "test")):
    """Return the accuracy and number correct of the nets' vote on each split, as a run's metrics.

    ``rule`` turns (nets, images) votes into one digit per image: Ch.6's is ``plurality``.
    """
    metrics = {}
    for split in splits:
        labels = getattr(data, split).labels
        votes = torch.stack([net.predict(getattr(data, split).images) for net in nets])  # (nets, images)
        correct = int((rule(votes) == labels).sum())
        metrics |= {f"accuracy/{split}": 100 * correct / len(labels), f"correct/{split}": correct}
    return metrics
