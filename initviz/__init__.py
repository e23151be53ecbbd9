"""initviz: see what weight initialization does to a neural network.

``import initviz`` loads pure numpy/scipy computation only: the plotly figure builders
(``initviz.figures``) and the Streamlit pages (``initviz.ui``) are imported by the app alone.
"""

from .errors import InitvizError
from .rng import as_generator, stream

# --- initializers: fans, gains, exact laws, sampling (initviz.fans, .laws, .initializers)
from .fans import calculate_gain, compute_fans
from .initializers import (SCHEMES, Param, Scheme, SchemeParam, constant, delta_orthogonal, dirac, eye, get_scheme,
                           kaiming_normal,
                           kaiming_uniform, law, lecun_normal, lecun_uniform, normal, ones, orthogonal, sample,
                           sparse, trunc_normal, uniform, variance_scaling, xavier_normal, xavier_uniform, zeros)
from .laws import Law, law_with_variance
from . import normals

# --- activations, networks, signal propagation (initviz.activations, .network, .propagation)
from .activations import ACTIVATIONS, Activation, get_activation
from .meanfield import (Prediction, chi1, correlation_map, fixed_point, hanin_rolnick_spread, mean_field_applies,
                        predict, qmap)
from .criticality import critical_line, map_iterates, measure_maps, phase_diagram
from .network import BIAS_RULES, Network
from . import norms, residual
from .norms import NORMS
from .residual import PRESETS, BranchScales, Residual
from .residual_theory import ResidualPrediction, predict_residual
from .block_jacobian import block_singular_values
from .limits import Budget
from .propagation import INPUTS, PropagationResult, propagate

# --- training: tasks, torch-exact optimizers, train() (initviz.tasks, .optimizers, .losses, .training)
from . import losses, optimizers, tasks
from .training import TrainingResult, train

# --- width scaling: SP / NTK / μP parametrisations, the coordinate check (initviz.parametrisation, .coordcheck)
from . import coordcheck, parametrisation, transfer
from .coordcheck import coord_check, coord_spread
from .transfer import lr_optimum, lr_sweep
from .parametrisation import PARAMETRISATIONS, Parametrisation, parametrise

# --- geometry of random matrices and theory (initviz.geometry, .randmat, .jacobian)
from . import geometry, jacobian, randmat
from .geometry import (Ensemble, gram_deviations, gram_matrix, gram_spectrum, gram_sweep, matrix_deviations,
                       norm_ratios, sample_angles)
from .jacobian import jacobian_spectrum, product_spectra
from .randmat import (angle_pdf, gram_deviation, marchenko_pastur, mp_cdf, mp_pdf, norm_ratio_moments,
                      opnorm_limit, product_sv_moments)

__version__ = "0.1.0"
