"""The analyst workspace: dashboard, drill-downs, charts, the PDF report and exports."""
