"""The route planner: pickup-and-delivery tours with capacities, time windows and shifts.

Example
-------
>>> from matching.routes import Driver, Place, Shipment, plan_routes
>>> lab, hospital = Place(2.35, 48.85), Place(2.30, 48.83)
>>> plan = plan_routes(
...     [Shipment("b1", lab, hospital, 40, delivery_window=(0, 240))],
...     [Driver("d1", lab, capacity=50, available_minutes=120)],
...     seconds=0.2,
... )
>>> [stop.kind for stop in plan.routes[0].stops]
['pickup', 'delivery']
"""

from matching.routes.check import check_solution
from matching.routes.instance import Instance, Request, Solution, Vehicle
from matching.routes.matrix import (
    HaversineProvider,
    MatrixProvider,
    OSRMTableProvider,
    RoutingServiceError,
    TravelMatrix,
    provider_from_env,
    provider_from_url,
)
from matching.routes.model import (
    Driver,
    Ferry,
    Place,
    Plan,
    PlannedRoute,
    PlannedStop,
    Shipment,
    across_sea,
)
from matching.routes.planner import plan_routes
from matching.routes.reasons import FIGURES, Reason, ReasonCode, Unassigned
from matching.routes.solvers import solve
from matching.routes.vrpfile import format_solution, read_instance, read_solution

__all__ = [
    "FIGURES",
    "Driver",
    "Ferry",
    "HaversineProvider",
    "Instance",
    "MatrixProvider",
    "OSRMTableProvider",
    "Place",
    "Plan",
    "PlannedRoute",
    "PlannedStop",
    "Reason",
    "ReasonCode",
    "Request",
    "RoutingServiceError",
    "Shipment",
    "Solution",
    "TravelMatrix",
    "Unassigned",
    "Vehicle",
    "across_sea",
    "check_solution",
    "format_solution",
    "plan_routes",
    "provider_from_env",
    "provider_from_url",
    "read_instance",
    "read_solution",
    "solve",
]
