"""Experiments of the locality-prior chapter (a wiring cost for fully connected layers).

:mod:`.parameters` the chapter's settings; :mod:`.prior` the prior matrices it
shows; :mod:`.networks` training and measuring the LeNet pairs;
:mod:`.clustering` the spatial-variance comparisons; :mod:`.sweeps` the cost
functions and weight decays; :mod:`.imagenet` the AlexNet-LP code path;
:mod:`.pruning` pruning by ``|W * P|``; :mod:`.plots` the chapter's figures;
:mod:`.findings` the claim evaluations.
"""
