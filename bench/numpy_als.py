"""A straightforward numpy/einsum fixed-rank ALS for functional TTs (benchmark baseline).

Written the way research reference code typically does it: the left/right stacks and
the local design matrix via np.einsum, the Gram matrix via np.tensordot (BLAS), the local
solve via np.linalg.solve. Same sweep order and orthogonalisation as ttsolve's ALS.
"""

import numpy as np


def numpy_als_sweep(cores, Phi, y, reg):
    """One left-right-left sweep; cores are modified in place (core 0 must be the centre,
    cores 1..d-1 right-orthogonal). Phi: (K, d, p)."""
    K, d, p = Phi.shape
    R = [None] * (d + 1)
    R[d] = np.ones((K, 1))
    for k in range(d - 1, 0, -1):
        R[k] = np.einsum("ajb,kj,kb->ka", cores[k], Phi[:, k], R[k + 1])
    L = [np.ones((K, 1))] + [None] * d

    def solve(k):
        A = np.einsum("ka,kj,kb->ajbk", L[k], Phi[:, k], R[k + 1]).reshape(-1, K)
        G = np.tensordot(A, A, axes=(1, 1)) + reg * K * np.eye(A.shape[0])
        cores[k] = np.linalg.solve(G, A @ y).reshape(cores[k].shape)

    for k in range(d - 1):
        solve(k)
        r, _, r2 = cores[k].shape
        q, rr = np.linalg.qr(cores[k].reshape(r * p, r2))
        cores[k] = q.reshape(r, p, -1)
        cores[k + 1] = np.einsum("ab,bjc->ajc", rr, cores[k + 1])
        L[k + 1] = np.einsum("ka,kj,ajb->kb", L[k], Phi[:, k], cores[k])
    for k in range(d - 1, 0, -1):
        solve(k)
        r, _, r2 = cores[k].shape
        q, rr = np.linalg.qr(cores[k].reshape(r, p * r2).T)
        cores[k] = q.T.reshape(-1, p, r2)
        cores[k - 1] = np.einsum("ajb,bc->ajc", cores[k - 1], rr.T)
        R[k] = np.einsum("ajb,kj,kb->ka", cores[k], Phi[:, k], R[k + 1])
    return cores
