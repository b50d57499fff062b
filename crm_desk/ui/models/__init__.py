"""Qt item models over core queries (data only; views live in ``crm_desk.ui.views``)."""
