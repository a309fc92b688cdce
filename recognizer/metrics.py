"""Accuracy figures for a digit model: overall, per digit, confusion matrix, most confused pairs.

Pure numpy; plots (matplotlib, headless) are drawn only when asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """10x10 counts; rows are true digits, columns predicted digits."""
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    return matrix


def summarise(labels: np.ndarray, predicted: np.ndarray, top_pairs: int = 5) -> dict:
    """Accuracy, per-digit accuracy and the most confused (true, predicted) pairs."""
    matrix = confusion_matrix(labels, predicted)
    per_digit = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    order = np.argsort(errors, axis=None)[::-1][:top_pairs]
    pairs = [
        {"true": int(i // 10), "predicted": int(i % 10), "count": int(errors.flat[i])}
        for i in order
        if errors.flat[i] > 0
    ]
    return {
        "accuracy": float((labels == predicted).mean()) if len(labels) else 0.0,
        "errors": int((labels != predicted).sum()),
        "count": len(labels),
        "per_digit_accuracy": [round(value, 5) for value in per_digit],
        "most_confused": pairs,
        "confusion_matrix": matrix.tolist(),
    }


def format_summary(summary: dict, title: str) -> str:
    """Human-readable lines for :func:`summarise`'s result."""
    lines = [
        f"{title}: {summary['accuracy'] * 100:.2f}% "
        f"({summary['count'] - summary['errors']}/{summary['count']}, {summary['errors']} errors)",
        "per digit: "
        + "  ".join(f"{d}:{acc * 100:.2f}%" for d, acc in enumerate(summary["per_digit_accuracy"])),
    ]
    if summary["most_confused"]:
        lines.append(
            "most confused (true→predicted ×count): "
            + ", ".join(f"{p['true']}→{p['predicted']} ×{p['count']}" for p in summary["most_confused"])
        )
    return "\n".join(lines)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(matrix: np.ndarray, path: Path, title: str) -> None:
    """Save the confusion matrix as a PNG (log-scaled colours so rare errors show)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 5.6))
    axes.imshow(np.log1p(matrix), cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if row == column else "black"
            axes.text(column, row, str(count), ha="center", va="center", fontsize=7, color=colour)
    axes.set_xticks(range(10))
    axes.set_yticks(range(10))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_curves(history: dict[str, list[float]], path: Path) -> None:
    """Save loss and error-rate curves (training and validation) per epoch as a PNG; the error
    rate is on a log scale so the last tenths of a percent stay visible."""
    plt = _pyplot()
    figure, (loss_axes, error_axes) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history.get("loss", [])) + 1)
    for prefix, label in (("", "training (augmented, dropout on)"), ("val_", "validation")):
        if history.get(prefix + "loss"):
            loss_axes.plot(epochs, history[prefix + "loss"], marker="o", markersize=3, label=label)
        if history.get(prefix + "accuracy"):
            errors = [100 * (1 - value) for value in history[prefix + "accuracy"]]
            error_axes.plot(epochs, errors, marker="o", markersize=3, label=label)
    loss_axes.set_title("loss")
    error_axes.set_title("error rate (%)")
    error_axes.set_yscale("log")
    for axes in (loss_axes, error_axes):
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3, which="both")
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_class_balance(counts: dict[str, list[int]], path: Path) -> None:
    """Save a grouped bar chart of samples per digit for each split."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(counts), 1)
    for offset, (split, values) in enumerate(counts.items()):
        positions = np.arange(10) + (offset - (len(counts) - 1) / 2) * width
        axes.bar(positions, values, width=width, label=split)
    axes.set_xticks(range(10))
    axes.set_xlabel("digit")
    axes.set_ylabel("samples")
    axes.set_title("MNIST class balance")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
