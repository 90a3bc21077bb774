"""The central staff council's (GPR) area: review and approval of a wave's exact configuration (G5).

`operations` holds what the command line and (later) the council's pages share.
"""
