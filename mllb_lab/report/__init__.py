"""`mllb-lab report`: results stores -> statistics, plots, one self-contained HTML file."""
